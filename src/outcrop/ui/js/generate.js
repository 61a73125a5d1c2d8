// Generate: text to image, or colour-guided generation when the palette has colours.

import { el, guarded, imageModels, numberOf, pngUrl, post, randomSeed } from "./api.js";
import { palette } from "./palette.js";

let form, status, seedLine, results, colours;

export function init(section) {
  form = section.querySelector("#generate-form");
  status = section.querySelector("[data-testid=generate-status]");
  seedLine = section.querySelector("[data-testid=generate-seed]");
  results = section.querySelector("#generate-results");
  colours = palette(section.querySelector("#gen-palette"), "Palette");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(form, status, "Generating…", generate);
  });
  guarded(form, null, "", () => fillModels(form.querySelector("#gen-model")));
}

export async function fillModels(select) {
  const ids = await imageModels();
  const chosen = select.value;
  select.replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
  if (ids.includes(chosen)) select.value = chosen;
}

/** The GenerationConfig the form describes (a random seed when the field is empty). */
export function config(fields) {
  const [width, height] = fields.size.split("x").map(Number);
  return {
    numberOfImages: fields.count, quality: fields.quality, cfgScale: fields.cfgScale,
    seed: fields.seed ?? randomSeed(858993459), width, height,
  };
}

async function generate() {
  const value = (id) => form.querySelector(id).value;
  const prompt = value("#gen-prompt").trim();
  const negativePrompt = value("#gen-negative").trim() || null;
  const body = {
    modelId: value("#gen-model"), prompt, negativePrompt,
    config: config({
      size: value("#gen-size"), count: numberOf(form.querySelector("#gen-count"), 1), quality: value("#gen-quality"),
      cfgScale: numberOf(form.querySelector("#gen-cfg"), 6.5), seed: numberOf(form.querySelector("#gen-seed"), null),
    }),
  };
  const palette = colours.colours();
  const reply = palette.length
    ? await post("/v1/images/recolor", { ...body, colors: palette })
    : await post("/v1/images/generate", body);
  showImages(results, reply, "Generated image");
  seedLine.textContent = `Seed ${reply.seed}` + (reply.seeds.length > 1 ? ` (images use ${reply.seeds.join(", ")})` : "");
  status.textContent = reply.blocked ? `${reply.blocked} image(s) withheld by the content filter.` : "";
}

/** Show an ImagesResponse's images as cards with a download link. */
export function showImages(list, reply, label) {
  list.replaceChildren(...reply.images.map((b64, i) => {
    const seed = reply.seeds[i];
    const alt = seed === undefined ? `${label} ${i + 1}` : `${label} ${i + 1}, seed ${seed}`;
    return el("li", { class: "card", "data-testid": "image-result" },
      el("img", { src: pngUrl(b64), alt }),
      el("p", { class: "name" }, seed === undefined ? reply.modelId : `seed ${seed}`),
      el("a", { href: pngUrl(b64), download: `outcrop-${seed ?? i}.png` }, "Download PNG"));
  }));
}


