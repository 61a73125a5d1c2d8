// Review: the queue of held assets (images and videos), approved or rejected with a reason.

import { el, get, post, showError } from "./api.js";

let section, list, error, statusLine;

export function init(root) {
  section = root;
  list = root.querySelector("#review-assets");
  error = root.querySelector("[data-testid=review-error]");
  statusLine = root.querySelector("[data-testid=review-status-line]");
  root.querySelector("#review-refresh").addEventListener("click", refresh);
  root.querySelector("#review-status").addEventListener("change", refresh);
}

export function shown() {
  refresh();
}

async function refresh() {
  showError(error, "");
  try {
    const status = section.querySelector("#review-status").value;
    const { assets } = await get(`/v1/review/assets?status=${encodeURIComponent(status)}`);
    statusLine.textContent = `${assets.length} ${status} asset${assets.length === 1 ? "" : "s"}`;
    list.replaceChildren(...assets.map(card));
  } catch (failure) {
    showError(error, failure.message);
  }
}

function card(asset) {
  const content = `/v1/review/assets/${encodeURIComponent(asset.id)}/content`;
  const label = `asset ${asset.id}`;
  const media = asset.mediaType.startsWith("video/")
    ? el("video", { src: content, controls: true, preload: "metadata", "aria-label": `Video ${label}` })
    : el("img", { src: content, alt: `Image ${label}`, loading: "lazy" });
  const reasonId = `reason-${asset.id}`;
  const decided = asset.status !== "pending";
  const children = [
    media,
    el("p", { class: "name" }, `${asset.kind} · ${asset.modelId}`),
    el("p", { class: "meta" }, new Date(asset.createdAt * 1000).toLocaleString()),
  ];
  if (decided) {
    children.push(el("p", { class: "meta" }, `${asset.status} by ${asset.reviewer ?? "?"}${asset.note ? `: ${asset.note}` : ""}`));
  } else {
    const reason = el("input", { id: reasonId, type: "text", placeholder: "why (needed to reject)" });
    children.push(
      el("label", { for: reasonId }, `Reason for ${label}`), reason,
      el("div", { class: "actions" },
        el("button", { type: "button", "aria-label": `Approve ${label}`, onclick: () => decide(asset, "approve", reason) }, "Approve"),
        el("button", { type: "button", class: "danger", "aria-label": `Reject ${label}`, onclick: () => decide(asset, "reject", reason) }, "Reject")));
  }
  children.push(el("p", { class: "error", role: "alert", hidden: true }));
  return el("li", { class: "card", "data-testid": "review-asset", "data-asset-id": asset.id, "aria-label": label }, ...children);
}

async function decide(asset, action, reasonInput) {
  const item = list.querySelector(`li[data-asset-id="${CSS.escape(asset.id)}"]`);
  const itemError = item.querySelector(".error");
  showError(itemError, "");
  const reviewer = section.querySelector("#review-reviewer").value.trim();
  const reason = reasonInput.value.trim();
  const body = action === "approve" ? { reviewer, note: reason || null } : { reviewer, reason };
  try {
    await post(`/v1/review/assets/${encodeURIComponent(asset.id)}/${action}`, body);
    item.remove();
    const left = list.querySelectorAll("li").length;
    statusLine.textContent = `${action === "approve" ? "Approved" : "Rejected"} ${asset.id}; ${left} left`;
  } catch (failure) {
    showError(itemError, failure.message);
  }
}
