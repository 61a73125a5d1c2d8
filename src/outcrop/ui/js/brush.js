// Mask painting: a transparent canvas over the picture, at the picture's own pixel size. Strokes are drawn opaque
// (the stylesheet makes the overlay translucent, so overlapping strokes do not darken); the mask sent to the server is rebuilt as black (painted: the region to change)
// on white (keep), which is what Nova Canvas / Titan inpainting expects.

const STROKE = "#ff40a0";

export class MaskBrush {
  /** @param {HTMLCanvasElement} picture  @param {HTMLCanvasElement} overlay */
  constructor(picture, overlay) {
    this.picture = picture;
    this.overlay = overlay;
    this.size = 40;
    this.painted = false;
    this.last = null;
    overlay.addEventListener("pointerdown", (event) => this.#down(event));
    overlay.addEventListener("pointermove", (event) => this.#move(event));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
      overlay.addEventListener(type, () => { this.last = null; });
    }
  }

  /** Show `image` (an HTMLImageElement or ImageBitmap) and start a new, empty mask of its size. */
  load(image) {
    for (const canvas of [this.picture, this.overlay]) {
      canvas.width = image.naturalWidth ?? image.width;
      canvas.height = image.naturalHeight ?? image.height;
    }
    this.picture.getContext("2d").drawImage(image, 0, 0);
    this.picture.dataset.loaded = "true";
    this.clear();
  }

  get loaded() {
    return this.picture.width > 0 && this.picture.height > 0 && this.picture.dataset.loaded === "true";
  }

  clear() {
    this.overlay.getContext("2d").clearRect(0, 0, this.overlay.width, this.overlay.height);
    this.painted = false;
    this.overlay.dispatchEvent(new Event("maskchange"));
  }

  /** The picture as base64 PNG (no data: prefix). */
  pictureBase64() {
    return this.picture.toDataURL("image/png").split(",", 2)[1];
  }

  /** The mask as base64 PNG: black where painted, white elsewhere; null when nothing was painted. */
  maskBase64() {
    if (!this.painted) return null;
    const { width, height } = this.overlay;
    const mask = document.createElement("canvas");
    mask.width = width;
    mask.height = height;
    const context = mask.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, width, height);
    const strokes = this.overlay.getContext("2d").getImageData(0, 0, width, height);
    const out = context.getImageData(0, 0, width, height);
    for (let i = 3; i < strokes.data.length; i += 4) {
      if (strokes.data[i] > 0) out.data[i - 3] = out.data[i - 2] = out.data[i - 1] = 0;
    }
    context.putImageData(out, 0, 0);
    return mask.toDataURL("image/png").split(",", 2)[1];
  }

  #point(event) {
    // The canvas is scaled by CSS to fit the page; strokes land in picture pixels.
    const box = this.overlay.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.overlay.width) / box.width,
      y: ((event.clientY - box.top) * this.overlay.height) / box.height,
      scale: this.overlay.width / box.width,
    };
  }

  #down(event) {
    if (event.button !== 0 || this.overlay.width === 0) return;
    this.overlay.setPointerCapture?.(event.pointerId);
    this.last = this.#point(event);
    this.#stroke(this.last, this.last);
  }

  #move(event) {
    if (this.last === null || (event.buttons & 1) === 0) return;
    const point = this.#point(event);
    this.#stroke(this.last, point);
    this.last = point;
  }

  #stroke(from, to) {
    const context = this.overlay.getContext("2d");
    context.strokeStyle = STROKE;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = this.size * to.scale;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x + 0.01, to.y);
    context.stroke();
    this.painted = true;
    this.overlay.dispatchEvent(new Event("maskchange"));
  }
}
