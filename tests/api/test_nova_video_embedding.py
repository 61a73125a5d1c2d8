"""Nova 2 embeddings of a video (SINGLE_EMBEDDING): frames sampled once a second, embedded as images and averaged;
audio, which no installed model can encode, is refused with what to send instead. Embeddings come from the
deterministic test double (a solid frame of a colour lands where the text "colour:RRGGBB" does)."""

from __future__ import annotations

import base64
import io
import json
from fractions import Fraction

import av
import numpy as np
import pytest

MODEL = "amazon.nova-2-multimodal-embeddings-v1:0"


def video(colour: tuple[int, int, int], seconds: int = 3, fps: int = 4, sound: bool = False) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=16000) if sound else None
        frame = np.zeros((48, 64, 3), np.uint8) + np.array(colour, np.uint8)
        for _ in range(seconds * fps):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
        if audio is not None:
            _silence(container, audio, seconds)
    return buffer.getvalue()


def _silence(container: av.container.OutputContainer, audio: av.audio.stream.AudioStream, seconds: int) -> None:
    samples = np.zeros((1, 1024), np.float32)
    for index in range(seconds * 16000 // 1024):
        chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        chunk.sample_rate, chunk.pts, chunk.time_base = 16000, index * 1024, Fraction(1, 16000)
        container.mux(audio.encode(chunk))
    container.mux(audio.encode())


def embed(client, params: dict) -> dict:
    body = {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX",
                                                                      "embeddingDimension": 1024, **params}}  # fmt: skip
    return json.loads(client.invoke_model(modelId=MODEL, body=json.dumps(body))["body"].read())


def video_params(data: bytes, mode: str = "AUDIO_VIDEO_COMBINED") -> dict:
    return {"video": {"format": "mp4", "embeddingMode": mode, "source": {"bytes": base64.b64encode(data).decode()}}}


def test_a_video_embeds_as_the_mean_of_its_frames(double_server):
    client = double_server.client("bedrock-runtime")
    data = video((255, 0, 0))
    (entry,) = embed(client, video_params(data))["embeddings"]
    assert entry["embeddingType"] == "VIDEO"
    frames = one_per_second(data)
    assert len(frames) == 3
    images = [embed(client, {"image": {"format": "png", "source": {"bytes": png(frame)}}})["embeddings"][0]["embedding"]
              for frame in frames]  # fmt: skip
    mean = np.mean(images, axis=0)
    np.testing.assert_allclose(entry["embedding"], mean / np.linalg.norm(mean), atol=1e-5)


def one_per_second(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        decoded = [(float(frame.time), frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
    picked, next_at = [], 0.0
    for time, frame in decoded:
        if time >= next_at:
            picked.append(frame)
            next_at = time + 1.0
    return picked


def png(frame: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).resize((320, 240)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_separate_audio_is_refused_for_a_video_with_sound_and_combined_embeds_its_pictures(double_server):
    client = double_server.client("bedrock-runtime")
    with pytest.raises(client.exceptions.ValidationException, match="no audio encoder"):
        embed(client, video_params(video((0, 0, 255), sound=True), "AUDIO_VIDEO_SEPARATE"))
    reply = embed(client, video_params(video((0, 0, 255), sound=True)))
    assert reply["embeddings"][0]["embeddingType"] == "VIDEO"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        (video_params(b"not a video at all"), "not a readable video"),
        (video_params(video((0, 255, 0), seconds=33, fps=1)), "runs past 30 s"),
        ({"audio": {"format": "mp3", "source": {"bytes": "AAAA"}}}, "audio encoder"),
    ],
)
def test_bad_media_say_what_to_send(double_server, params, says):
    client = double_server.client("bedrock-runtime")
    with pytest.raises(client.exceptions.ValidationException, match=says):
        embed(client, params)


def test_frames_over_the_pixel_limit_are_refused_before_decoding(monkeypatch, double_server):
    from outcrop.tasks import video_frames

    monkeypatch.setattr(video_frames, "MAX_FRAME_PIXELS", 64 * 47)  # the test video's frames are 64x48
    client = double_server.client("bedrock-runtime")
    with pytest.raises(client.exceptions.ValidationException, match="64x48 frames"):
        embed(client, video_params(video((9, 9, 9))))
