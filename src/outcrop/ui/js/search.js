// Search: pick a knowledge base, query by text or by an uploaded image, and ask for more like any result.

import { el, fileToBase64, get, guarded, numberOf, post } from "./api.js";

let form, kbSelect, results, status;

export function init(section) {
  form = section.querySelector("#search-form");
  kbSelect = section.querySelector("#search-kb");
  results = section.querySelector("#search-results");
  status = section.querySelector("[data-testid=search-status]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(form, status, "Searching…", search);
  });
  section.querySelector("#search-kb-refresh").addEventListener("click", () => guarded(form, null, "", loadKnowledgeBases));
}

export function shown() {
  guarded(form, null, "", loadKnowledgeBases);
}

async function loadKnowledgeBases() {
  const { knowledgeBases } = await get("/v1/knowledge-bases");
  const chosen = kbSelect.value;
  kbSelect.replaceChildren(...knowledgeBases.map((kb) =>
    el("option", { value: kb.id }, `${kb.name} (${kb.items} items)`)));
  if (knowledgeBases.some((kb) => kb.id === chosen)) kbSelect.value = chosen;
  if (knowledgeBases.length === 0) {
    kbSelect.append(el("option", { value: "" }, "No knowledge bases yet"));
  }
}

async function search() {
  const kbId = kbSelect.value;
  if (!kbId) throw new Error("Choose a knowledge base first (create one with `outcrop kb create` or the API).");
  const file = form.querySelector("#search-image").files[0];
  const text = form.querySelector("#search-text").value.trim();
  const k = numberOf(form.querySelector("#search-k"), 8);
  const body = file ? { image: await fileToBase64(file), k } : { text, k };
  if (!file && !text) throw new Error("Type a text query or choose an image to search with.");
  const reply = await post(`/v1/knowledge-bases/${encodeURIComponent(kbId)}/search`, body);
  render(kbId, reply.results, file ? `image ${file.name}` : `“${text}”`);
}

async function moreLike(kbId, item) {
  const reply = await post(`/v1/knowledge-bases/${encodeURIComponent(kbId)}/recommend`,
    { positive: [item.id], k: numberOf(form.querySelector("#search-k"), 8) });
  render(kbId, reply.results, `more like ${basename(item.uri)}`);
}

function render(kbId, matches, what) {
  status.textContent = `${matches.length} result${matches.length === 1 ? "" : "s"} for ${what}`;
  results.replaceChildren(...matches.map((item) => card(kbId, item)));
}

function card(kbId, item) {
  const name = basename(item.uri);
  const preview = item.kind === "IMAGE"
    ? el("img", { src: `/ui/thumbnails/${encodeURIComponent(kbId)}/${encodeURIComponent(item.id)}`, alt: name,
                  loading: "lazy" })
    : el("p", { class: "snippet" }, item.text ?? "");
  const more = el("button", { type: "button", class: "secondary", "aria-label": `More like ${name}`,
    onclick: () => guarded(form, status, "Finding similar items…", () => moreLike(kbId, item)) }, "More like this");
  return el("li", { class: "card", "data-testid": "search-result" },
    preview,
    el("p", { class: "name", title: item.uri }, name),
    el("p", { class: "score", "data-testid": "search-score" }, `score ${item.score === null ? "–" : item.score.toFixed(3)}`),
    more);
}

function basename(uri) {
  return uri.split(/[\\/]/).pop();
}
