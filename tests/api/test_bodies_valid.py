"""Every model body and taskType: a valid request parses into the right Task with the right fields."""

from __future__ import annotations

from outcrop.families.amazon_image.body import parse_image_body
from outcrop.families.amazon_image.limits import NOVA_CANVAS, TITAN_V1, TITAN_V2
from outcrop.families.nova_embed.body import parse_nova_embed
from outcrop.families.nova_reel.body import parse_reel_input
from outcrop.families.text.body import parse_converse, parse_native_text
from outcrop.families.titan_embed.body import parse_titan_embed
from outcrop.tasks import (
    ColorGuidedTask,
    ConverseTask,
    EmbedTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    TextToImageTask,
    TextToVideoTask,
    VirtualTryOnTask,
)
from outcrop.tasks.outpaint import OutpaintMode
from outcrop.tasks.text_to_image import ControlMode, Style
from outcrop.tasks.text_to_video import VideoMode
from support.images import box_mask_b64, jpeg_b64, png_b64

IMG = png_b64(512, 512)
MASK = box_mask_b64(512, 512, (100, 100, 300, 300))
FRAME = png_b64(1280, 720)


def test_titan_embed_text_image_and_both():
    text = parse_titan_embed({"inputText": "suede sneaker", "embeddingConfig": {"outputEmbeddingLength": 256}})
    assert isinstance(text, EmbedTask) and text.text == "suede sneaker" and text.dimension == 256
    both = parse_titan_embed({"inputText": "shoe", "inputImage": jpeg_b64(64, 64)})
    assert both.image is not None and both.image.size == (64, 64) and both.dimension == 1024


def test_nova_embed_text_and_image():
    params = {"embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 384}
    text = parse_nova_embed(
        {
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {**params, "text": {"truncationMode": "END", "value": "red dress"}},
        }
    )
    assert text.text == "red dress" and text.dimension == 384
    image_params = {"format": "png", "detailLevel": "STANDARD_IMAGE", "source": {"bytes": IMG}}
    image = parse_nova_embed(
        {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {**params, "image": image_params}}
    )
    assert image.image is not None and image.text is None


def test_text_image_titan_defaults_and_nova_conditioning():
    titan = parse_image_body({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lamp"}}, TITAN_V1)
    assert isinstance(titan, TextToImageTask)
    assert (titan.config.cfg_scale, titan.config.seed, titan.config.width) == (8.0, 42, 1024)
    nova = parse_image_body(
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {
                "text": "a lamp",
                "negativeText": "blur",
                "style": "PHOTOREALISM",
                "conditionImage": IMG,
                "controlMode": "SEGMENTATION",
                "controlStrength": 0,
            },
            "imageGenerationConfig": {"numberOfImages": 3, "width": 1280, "height": 720, "cfgScale": 1.1, "seed": 7},
        },
        NOVA_CANVAS,
    )
    assert isinstance(nova, TextToImageTask) and nova.conditioning is not None
    assert nova.conditioning.mode is ControlMode.SEGMENTATION and nova.conditioning.strength == 0
    assert nova.style is Style.PHOTOREALISM
    assert (nova.config.number_of_images, nova.config.width, nova.config.height, nova.config.seed) == (3, 1280, 720, 7)


def test_workshop_sizes_for_nova():
    for width, height in ((1024, 1024), (1280, 720), (672, 1024), (720, 1024), (2048, 2048)):
        body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"},
                "imageGenerationConfig": {"width": width, "height": height}}  # fmt: skip
        assert parse_image_body(body, NOVA_CANVAS).config.width == width


def test_inpainting_with_mask_image_and_prompt():
    by_mask = parse_image_body(
        {"taskType": "INPAINTING", "inPaintingParams": {"image": IMG, "maskImage": MASK, "returnMask": True}},
        TITAN_V1,
    )
    assert isinstance(by_mask, InpaintTask) and by_mask.mask is not None and by_mask.return_mask
    assert by_mask.mask.getpixel((150, 150)) == 0 and by_mask.mask.getpixel((5, 5)) == 255
    by_prompt = parse_image_body(
        {"taskType": "INPAINTING", "inPaintingParams": {"image": IMG, "maskPrompt": "house", "text": "a barn"}},
        NOVA_CANVAS,
    )
    assert isinstance(by_prompt, InpaintTask) and by_prompt.mask_prompt == "house" and by_prompt.prompt == "a barn"


def test_outpainting_modes_without_size():
    task = parse_image_body(
        {
            "taskType": "OUTPAINTING",
            "outPaintingParams": {"image": IMG, "maskPrompt": "dog", "text": "a park", "outPaintingMode": "PRECISE"},
            "imageGenerationConfig": {"quality": "standard", "cfgScale": 1.5, "seed": 321},
        },
        TITAN_V2,
    )
    assert isinstance(task, OutpaintTask) and task.mode is OutpaintMode.PRECISE and task.config.cfg_scale == 1.5


def test_variation_color_guided_background_removal():
    variation = parse_image_body(
        {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": [IMG, IMG], "similarityStrength": 0.2}},
        NOVA_CANVAS,
    )
    assert isinstance(variation, ImageVariationTask) and len(variation.images) == 2
    colors = parse_image_body(
        {"taskType": "COLOR_GUIDED_GENERATION",
         "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#ff0000", "#00FF00", "#0000ff"]}},
        TITAN_V2,
    )  # fmt: skip
    assert isinstance(colors, ColorGuidedTask) and colors.rgb()[0] == (255, 0, 0)
    cutout = parse_image_body({"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": IMG}}, TITAN_V2)
    assert isinstance(cutout, RemoveBackgroundTask) and cutout.image.size == (512, 512)


def test_virtual_try_on():
    task = parse_image_body(
        {"taskType": "VIRTUAL_TRY_ON",
         "virtualTryOnParams": {"sourceImage": IMG, "referenceImage": IMG, "maskType": "GARMENT",
                                "garmentBasedMask": {"garmentClass": "UPPER_BODY"}}},
        NOVA_CANVAS,
    )  # fmt: skip
    assert isinstance(task, VirtualTryOnTask) and task.garment_class == "UPPER_BODY"


def test_reel_inputs():
    single = parse_reel_input(
        {"taskType": "TEXT_VIDEO",
         "textToVideoParams": {"text": "a drone shot", "images": [{"format": "png", "source": {"bytes": FRAME}}]},
         "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 5}},
        "v1:0",
    )  # fmt: skip
    assert isinstance(single, TextToVideoTask) and single.shots[0].image is not None and single.seed == 5
    auto = parse_reel_input(
        {"taskType": "MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams": {"text": "a story"},
         "videoGenerationConfig": {"durationSeconds": 18, "fps": 24, "dimension": "1280x720"}},
        "v1:1",
    )  # fmt: skip
    assert auto.mode is VideoMode.MULTI_SHOT_AUTOMATED and auto.duration_seconds == 18
    manual = parse_reel_input(
        {"taskType": "MULTI_SHOT_MANUAL",
         "multiShotManualParams": {"shots": [{"text": "one"}, {"text": "two"}, {"text": "three"}]},
         "videoGenerationConfig": {"fps": 24, "dimension": "1280x720"}},
        "v1:1",
    )  # fmt: skip
    assert manual.mode is VideoMode.MULTI_SHOT_MANUAL and manual.duration_seconds == 18 and len(manual.shots) == 3


def test_converse_and_native_text():
    task = parse_converse(
        {"system": [{"text": "You write catalogue copy."}],
         "messages": [{"role": "user", "content": [{"text": "Describe a mug."}]}],
         "inferenceConfig": {"maxTokens": 50, "temperature": 0.0, "stopSequences": ["END"]}},
    )  # fmt: skip
    assert (
        isinstance(task, ConverseTask)
        and task.inference.max_tokens == 50
        and task.system == ("You write catalogue copy.",)
    )
    native = parse_native_text(
        {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    )
    assert native.messages[0].text == "hi"
