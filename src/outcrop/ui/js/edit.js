// Edit: upload an image, paint a mask (or type a mask prompt), then inpaint, outpaint, remove the background or
// recolour it with a palette.

import { guarded, numberOf, post, randomSeed } from "./api.js";
import { MaskBrush } from "./brush.js";
import { fillModels, showImages } from "./generate.js";
import { palette } from "./palette.js";

let form, status, results, brush, colours;

export function init(section) {
  form = section.querySelector("#edit-form");
  status = section.querySelector("[data-testid=edit-status]");
  results = section.querySelector("#edit-results");
  brush = new MaskBrush(section.querySelector("#edit-picture"), section.querySelector("#edit-mask"));
  colours = palette(section.querySelector("#edit-palette"), "Palette");
  const size = section.querySelector("#edit-brush");
  const sizeValue = section.querySelector("#edit-brush-value");
  size.addEventListener("input", () => { brush.size = Number(size.value); sizeValue.value = size.value; });
  brush.size = Number(size.value);
  section.querySelector("#edit-clear").addEventListener("click", () => brush.clear());
  section.querySelector("#edit-image").addEventListener("change", (event) =>
    guarded(form, status, "Loading image…", () => load(section, event.target.files[0])));
  brush.overlay.addEventListener("maskchange", () => { section.querySelector("#edit-stage").dataset.painted = brush.painted; });
  for (const button of form.querySelectorAll("button[data-op]")) {
    button.addEventListener("click", () =>
      guarded(form, status, `${button.textContent}…`, () => run(button.dataset.op)));
  }
  form.addEventListener("submit", (event) => event.preventDefault());
  guarded(form, null, "", () => fillModels(form.querySelector("#edit-model")));
}

async function load(section, file) {
  if (!file) return;
  const image = await createImageBitmap(file).catch(() => {
    throw new Error(`${file.name} is not an image this browser can read; choose a PNG or JPEG.`);
  });
  brush.load(image);
  section.querySelector("#edit-stage").classList.add("loaded");
}

function maskFields() {
  const maskPrompt = form.querySelector("#edit-mask-prompt").value.trim();
  const mask = brush.maskBase64();
  if (mask && maskPrompt) throw new Error("Paint a mask or type a mask prompt, not both (Clear mask to use the prompt).");
  if (!mask && !maskPrompt) throw new Error("Paint the region on the image, or type a mask prompt that names it.");
  return mask ? { mask } : { maskPrompt };
}

function request(op) {
  const value = (id) => form.querySelector(id).value.trim();
  const modelId = form.querySelector("#edit-model").value;
  const image = brush.pictureBase64();
  const seed = numberOf(form.querySelector("#edit-seed"), null) ?? randomSeed(858993459);
  const config = { seed, numberOfImages: 1 };
  const prompt = value("#edit-prompt") || null;
  const negativePrompt = value("#edit-negative") || null;
  switch (op) {
    case "inpaint":
      return { modelId, image, ...maskFields(), prompt, negativePrompt, config };
    case "outpaint":
      return { modelId, image, ...maskFields(), prompt: prompt ?? "", negativePrompt, config,
               mode: form.querySelector("#edit-outpaint-mode").value };
    case "remove-background":
      return { modelId, image };
    case "recolor": {
      const { width, height } = brush.picture;
      return { modelId, prompt: prompt ?? "", negativePrompt, colors: colours.colours(), referenceImage: image,
               config: { ...config, width, height } };
    }
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

async function run(op) {
  if (!brush.loaded) throw new Error("Choose an image to edit first.");
  const reply = await post(`/v1/images/${op}`, request(op));
  showImages(results, reply, `Result of ${op}`);
  const seed = reply.seed === null ? "" : ` · seed ${reply.seed}`;
  status.textContent = `${op} done with ${reply.modelId}${seed}`;
}
