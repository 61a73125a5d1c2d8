"""Video page: a job started from the form shows a progress bar that the page keeps polling, reaches Completed,
and its output.mp4 plays in a <video> element."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from ui_helpers import open_page


def test_video_job_progresses_to_a_playable_video(page: Any, artifacts: Path) -> None:
    ui = open_page(page, "video")
    ui.get_by_label("Video prompt").fill("a red kettle on a wooden table, slow pan")
    ui.get_by_label("Video seed").fill("11")
    with page.expect_response("**/v1/video/jobs") as answer:
        ui.get_by_role("button", name="Start video job").click()
    assert answer.value.status == 202, answer.value.text()
    sent = answer.value.request.post_data_json
    assert sent["modelInput"]["taskType"] == "TEXT_VIDEO"
    assert sent["modelInput"]["videoGenerationConfig"]["seed"] == 11
    job_id = answer.value.json()["id"]
    row = ui.locator(f"li[data-job-id='{job_id}']")
    expect(row.get_by_role("progressbar", name=f"Progress of Job {job_id}")).to_be_visible()
    seen: list[tuple[str, str]] = []  # (status, progress) as the page showed them, polled from the DOM
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = (row.get_attribute("data-status"), row.get_attribute("data-progress"))
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] != "InProgress":
            break
        if state[1] not in ("0", "0.0") and len(seen) > 1:
            page.screenshot(path=artifacts / "video-progress.png", full_page=True)
        time.sleep(0.1)
    assert seen[-1][0] == "Completed", seen
    assert any(status == "InProgress" for status, _ in seen), seen
    assert len(seen) >= 3, f"the page showed no progress between start and end: {seen}"
    expect(row.get_by_test_id("job-status")).to_have_text("Completed")
    expect(row.get_by_role("progressbar")).to_have_attribute("value", "100")
    video = row.get_by_test_id("job-video")
    expect(video).to_have_attribute("src", f"/v1/jobs/{job_id}/files/output.mp4")
    # Playable: the browser loads the metadata and decodes frames (Chromium plays H.264 MP4).
    page.wait_for_function("v => v.readyState >= 2 && v.duration > 0", arg=video.element_handle(), timeout=30_000)
    duration = video.evaluate("v => v.duration")
    assert 5.5 < duration < 6.5
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0", arg=video.element_handle(), timeout=15_000)
    assert video.evaluate("v => v.videoWidth") == 1280
    video.evaluate("v => v.pause()")
    page.screenshot(path=artifacts / "video.png", full_page=True)


def test_refused_video_job_shows_the_server_message(page: Any) -> None:
    ui = open_page(page, "video")
    with page.expect_response("**/v1/video/jobs") as answer:
        ui.get_by_role("button", name="Start video job").click()
    assert answer.value.status == 400
    expect(ui.get_by_test_id("video-error")).to_have_text(answer.value.json()["message"])


def test_long_multi_shot_job_can_be_cancelled_from_the_page(page: Any) -> None:
    ui = open_page(page, "video")
    ui.get_by_label("Video prompt").fill("A kettle. A cup. Steam rises. Tea is poured.")
    ui.get_by_label("Duration (seconds)").select_option("120")
    with page.expect_response("**/v1/video/jobs") as answer:
        ui.get_by_role("button", name="Start video job").click()
    sent = answer.value.request.post_data_json["modelInput"]
    assert (sent["taskType"], sent["videoGenerationConfig"]["durationSeconds"]) == ("MULTI_SHOT_AUTOMATED", 120)
    job_id = answer.value.json()["id"]
    row = ui.locator(f"li[data-job-id='{job_id}']")
    with page.expect_response(f"**/v1/jobs/{job_id}/cancel") as cancelled:
        row.get_by_role("button", name=f"Cancel Job {job_id}").click()
    assert cancelled.value.status == 200
    expect(row).to_have_attribute("data-status", "Failed", timeout=60_000)
    expect(row).to_contain_text("Cancelled")


def test_manual_shots_are_sent_one_per_line(page: Any) -> None:
    ui = open_page(page, "video")
    ui.get_by_label("Shots, one prompt a line (optional)").fill("a teapot\na teacup")
    with page.expect_response("**/v1/video/jobs") as answer:
        ui.get_by_role("button", name="Start video job").click()
    assert answer.value.status == 202, answer.value.text()
    sent = answer.value.request.post_data_json["modelInput"]
    assert sent["taskType"] == "MULTI_SHOT_MANUAL"
    assert [shot["text"] for shot in sent["multiShotManualParams"]["shots"]] == ["a teapot", "a teacup"]
    job_id = answer.value.json()["id"]
    ui.locator(f"li[data-job-id='{job_id}']").get_by_role("button", name=f"Cancel Job {job_id}").click()
