// Models: the catalog as a table (installed or not) with a pull button that follows the pull to its end.

import { el, get, post, showError } from "./api.js";

const POLL_MS = 1000;
let rows, error, profile;

export function init(root) {
  rows = root.querySelector("#models-rows");
  error = root.querySelector("[data-testid=models-error]");
  profile = root.querySelector("[data-testid=models-profile]");
  root.querySelector("#models-refresh").addEventListener("click", refresh);
}

export function shown() {
  refresh();
}

async function refresh() {
  showError(error, "");
  try {
    const reply = await get("/v1/models");
    profile.textContent = `Profile ${reply.profile} · ${reply.models.length} models`;
    rows.replaceChildren(...reply.models.map(row));
  } catch (failure) {
    showError(error, failure.message);
  }
}

function row(model) {
  const tasks = Object.keys(model.tasks).map((t) => t.toLowerCase().replaceAll("_", " ")).join(", ");
  const state = el("span", { class: `badge ${model.installed ? "completed" : "pending"}`, "data-testid": "model-installed" },
    model.installed ? "installed" : "not installed");
  const log = el("span", { class: "pull-log", "aria-live": "polite" });
  const pull = el("button", { type: "button", class: "secondary", "aria-label": `Pull ${model.modelId}`,
    onclick: () => startPull(model.modelId, pull, log) }, model.installed ? "Pull again" : "Pull");
  return el("tr", { "data-testid": "model-row", "data-model-id": model.modelId },
    el("th", { scope: "row" }, el("code", {}, model.modelId)),
    el("td", {}, model.name),
    el("td", {}, model.family),
    el("td", {}, tasks),
    el("td", {}, state),
    el("td", {}, pull, log));
}

async function startPull(modelId, button, log) {
  showError(error, "");
  button.disabled = true;
  try {
    let job = await post("/v1/models/pull", { names: [modelId] });
    while (job.status === "InProgress") {
      log.textContent = job.log.at(-1) ?? "pulling…";
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await get(`/v1/models/pulls/${encodeURIComponent(job.id)}`);
    }
    if (job.status === "Failed") throw new Error(job.error ?? `pull of ${modelId} failed`);
    log.textContent = "done";
    await refresh();
  } catch (failure) {
    log.textContent = "";
    showError(error, `${modelId}: ${failure.message}`);
  } finally {
    button.disabled = false;
  }
}
