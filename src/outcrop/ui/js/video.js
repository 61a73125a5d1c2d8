// Video: start Nova Reel jobs, follow them with progress bars (polling GET /v1/jobs/{id}), play finished videos.

import { el, fileToBase64, get, guarded, numberOf, post, randomSeed, showError } from "./api.js";

const POLL_MS = 500;
let form, list, listError;
const timers = new Map(); // job id -> timeout handle while it is polled

export function init(section) {
  form = section.querySelector("#video-form");
  list = section.querySelector("#video-jobs");
  listError = section.querySelector("[data-testid=video-jobs-error]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(form, null, "", start);
  });
  section.querySelector("#video-refresh").addEventListener("click", refresh);
}

export function shown() {
  refresh();
}

/** The Nova Reel modelInput and model id for the form: one shot, automated multi-shot, or manual shots. */
async function modelInput() {
  const prompt = form.querySelector("#video-prompt").value.trim();
  const shots = form.querySelector("#video-shots").value.split("\n").map((s) => s.trim()).filter(Boolean);
  const duration = Number(form.querySelector("#video-duration").value);
  const file = form.querySelector("#video-image").files[0];
  const seed = numberOf(form.querySelector("#video-seed"), null) ?? randomSeed();
  const image = file ? { format: file.type === "image/jpeg" ? "jpeg" : "png", source: { bytes: await fileToBase64(file) } } : null;
  const config = { fps: 24, dimension: "1280x720", seed };
  if (shots.length >= 2) {
    return { modelId: "amazon.nova-reel-v1:1", modelInput: { taskType: "MULTI_SHOT_MANUAL", videoGenerationConfig: config,
      multiShotManualParams: { shots: shots.map((text, i) => (i === 0 && image ? { text, image } : { text })) } } };
  }
  if (duration > 6) {
    if (image) throw new Error("A start image works with 6-second videos or manual shots; remove it or pick 6 seconds.");
    return { modelId: "amazon.nova-reel-v1:1", modelInput: { taskType: "MULTI_SHOT_AUTOMATED",
      multiShotAutomatedParams: { text: prompt || shots[0] || "" }, videoGenerationConfig: { ...config, durationSeconds: duration } } };
  }
  const params = { text: prompt || shots[0] || "" };
  if (image) params.images = [image];
  return { modelId: "amazon.nova-reel-v1:0", modelInput: { taskType: "TEXT_VIDEO", textToVideoParams: params,
    videoGenerationConfig: { ...config, durationSeconds: 6 } } };
}

async function start() {
  const job = await post("/v1/video/jobs", await modelInput());
  upsert(job);
  poll(job.id);
}

async function refresh() {
  showError(listError, "");
  try {
    const { jobs } = await get("/v1/jobs?maxResults=50");
    for (const job of jobs.slice().reverse()) upsert(job);
    for (const job of jobs) if (job.status === "InProgress") poll(job.id);
  } catch (failure) {
    showError(listError, failure.message);
  }
}

function poll(id) {
  if (timers.has(id)) return;
  const tick = async () => {
    try {
      const job = await get(`/v1/jobs/${encodeURIComponent(id)}`);
      upsert(job);
      if (job.status === "InProgress") {
        timers.set(id, setTimeout(tick, POLL_MS));
        return;
      }
    } catch (failure) {
      showError(listError, failure.message);
    }
    timers.delete(id);
  };
  timers.set(id, setTimeout(tick, 0));
}

function upsert(job) {
  const existing = list.querySelector(`li[data-job-id="${CSS.escape(job.id)}"]`);
  if (existing && existing.dataset.status === job.status && existing.dataset.progress === String(job.progress)) return;
  const item = row(job);
  if (existing) existing.replaceWith(item);
  else list.prepend(item);
}

function row(job) {
  const label = `Job ${job.id}`;
  const cancel = job.status === "InProgress"
    ? el("button", { type: "button", class: "secondary", "aria-label": `Cancel ${label}`, onclick: () => cancelJob(job.id) }, "Cancel")
    : null;
  const video = job.status === "Completed" && job.files.includes("output.mp4")
    ? el("video", { src: `/v1/jobs/${encodeURIComponent(job.id)}/files/output.mp4`, controls: true, preload: "metadata",
                    "aria-label": `Video of ${label}`, "data-testid": "job-video" })
    : null;
  return el("li", { class: "job", "data-testid": "video-job", "data-job-id": job.id, "data-status": job.status,
                    "data-progress": String(job.progress), "aria-label": label },
    el("div", { class: "job-head" },
      el("span", { class: "job-id" }, job.id),
      el("span", { class: `badge ${job.status.toLowerCase()}`, "data-testid": "job-status" }, job.status),
      el("span", { class: "job-model" }, job.modelId),
      cancel),
    el("progress", { max: 100, value: job.progress, "aria-label": `Progress of ${label}` }, `${job.progress}%`),
    el("span", { class: "percent", "data-testid": "job-progress" }, `${job.progress}%`),
    job.failureMessage ? el("p", { class: "error", role: "alert" }, job.failureMessage) : null,
    video);
}

async function cancelJob(id) {
  showError(listError, "");
  try {
    upsert(await post(`/v1/jobs/${encodeURIComponent(id)}/cancel`));
  } catch (failure) {
    showError(listError, failure.message);
  }
}
