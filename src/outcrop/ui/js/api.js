// Calls to the native REST API and the small DOM helpers every page shares.

/** An API call that failed: `message` is the server's own (the JSON error body's `message`). */
export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

// The signed-in session's CSRF token (the session cookie itself is HttpOnly): sent on every state-changing call.
let csrfToken = null;
export function setCsrfToken(token) {
  csrfToken = token;
}

/** JSON request to the API; resolves to the parsed body, rejects with ApiError carrying the server's message. */
export async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (csrfToken && method !== "GET") init.headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, `The server could not be reached (${error.message}).`, "NetworkError");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.message === "string" ? data.message : `${response.status} ${response.statusText}: ${text}`;
    throw new ApiError(response.status, message, data && data.__type);
  }
  return data;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});

/** The base64 content (no data: prefix) of a File or Blob. */
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(new Error(`could not read ${file.name || "the file"}`));
    reader.readAsDataURL(file);
  });
}

export const pngUrl = (b64) => `data:image/png;base64,${b64}`;

/** Run `work` with the form's error line cleared, the status line set, and its buttons disabled meanwhile;
 *  a failure shows the server's message in the error line. */
export async function guarded(form, statusLine, busyText, work) {
  const error = form.querySelector(".error");
  const buttons = [...form.querySelectorAll("button")];
  showError(error, "");
  if (statusLine) statusLine.textContent = busyText;
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    await work();
    if (statusLine && statusLine.textContent === busyText) statusLine.textContent = "";
  } catch (failure) {
    if (statusLine) statusLine.textContent = "";
    showError(error, failure.message);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
  }
}

export function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

/** Element builder: el("img", {src, alt}, child...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** The number in an input, or `fallback` when it is empty. */
export function numberOf(input, fallback) {
  return input.value.trim() === "" ? fallback : Number(input.value);
}

/** A seed for requests that leave it empty, so every result can say which seed made it. */
export function randomSeed(max = 2147483646) {
  return Math.floor(Math.random() * (max + 1));
}

/** Ids of the catalog's models that generate images (for the Model lists). */
export async function imageModels() {
  const { models } = await get("/v1/models");
  return models.filter((m) => m.outputModalities.includes("IMAGE") && m.tasks.TEXT_TO_IMAGE).map((m) => m.modelId);
}
