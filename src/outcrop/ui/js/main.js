// The single-page shell: one <section> per page, chosen by the URL hash; each page module is set up on first visit
// and told when it is shown again (to refresh its lists).

import * as search from "./search.js";
import * as generate from "./generate.js";
import * as edit from "./edit.js";
import * as video from "./video.js";
import * as review from "./review.js";
import * as models from "./models.js";
import { call, setCsrfToken, showError } from "./api.js";

const PAGES = { search, generate, edit, video, review, models };
const started = new Set();

function show() {
  const name = location.hash.slice(1) in PAGES ? location.hash.slice(1) : "search";
  for (const key of Object.keys(PAGES)) {
    document.getElementById(`page-${key}`).hidden = key !== name;
  }
  for (const link of document.querySelectorAll("nav a[data-page]")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const page = PAGES[name];
  const section = document.getElementById(`page-${name}`);
  if (!started.has(name)) {
    started.add(name);
    page.init(section);
  }
  page.shown?.(section);
  document.title = `Outcrop · ${section.querySelector("h2").textContent}`;
}

// On the tiny profile every model is a seeded toy: say so, so nobody mistakes its noise for a result.
async function showProfile() {
  const health = await call("GET", "/health");
  if (health.profile !== "tiny") return;
  const badge = document.getElementById("profile");
  badge.textContent = "tiny profile: seeded test models, outputs are noise";
  badge.hidden = false;
}

// With credentials configured the pages need a session: sign in with an API key, then say who is signed in.
async function signIn() {
  const session = await call("GET", "/ui/session");
  if (session.signedIn) {
    setCsrfToken(session.csrfToken);
    const who = document.getElementById("who");
    who.textContent = `signed in as ${session.name}`;
    who.hidden = false;
    return;
  }
  if (!session.authRequired) return;
  const form = document.getElementById("sign-in");
  form.hidden = false;
  await new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await call("POST", "/ui/session", { apiKey: form.elements.apiKey.value });
        form.hidden = true;
        resolve();
      } catch (failure) {
        showError(form.querySelector(".error"), failure.message);
      }
    });
  });
  await signIn();
}

window.addEventListener("hashchange", show);
showProfile();
signIn().then(() => {
  show();
  document.body.dataset.ready = "true";
});
