"""Splitting MULTI_SHOT_AUTOMATED's long prompt into one prompt per 6 s shot."""

from __future__ import annotations

import pytest

from outcrop.tasks.text_to_video import split_into_shots


def test_sentences_stay_whole_in_order_and_every_shot_gets_some():
    text = "A fox wakes in its den. It trots across a frosty field. A hawk circles above. The fox dives into snow."
    shots = split_into_shots(text, 3)
    assert len(shots) == 3 and all(shots)
    assert " ".join(shots) == text


def test_cuts_balance_characters_not_sentence_counts():
    long, short, mid = "A" * 60 + ".", "b.", "C" * 40 + "."
    shots = split_into_shots(f"{long} {short} {short} {short} {mid}", 2)
    # By sentence count the cut would fall after the third sentence (65 against 43 characters); 61 against 47 is
    # the even one.
    assert shots == [long, f"{short} {short} {short} {mid}"]


def test_fewer_sentences_than_shots_repeat_the_last_scene():
    assert split_into_shots("Sunrise over hills. A balloon lifts off!", 4) == [
        "Sunrise over hills.",
        "A balloon lifts off!",
        "A balloon lifts off!",
        "A balloon lifts off!",
    ]


def test_one_shot_takes_the_whole_prompt_and_text_without_stops_is_one_sentence():
    assert split_into_shots("a slow pan across a harbour at dusk", 2) == ["a slow pan across a harbour at dusk"] * 2
    assert split_into_shots("One. Two. Three.", 1) == ["One. Two. Three."]


def test_bad_counts_and_empty_text_are_refused():
    with pytest.raises(ValueError, match="at least one shot"):
        split_into_shots("One.", 0)
    with pytest.raises(ValueError, match="empty"):
        split_into_shots("   ", 2)
