"""Tiny random models laid out like the real hub repos, loaded through the real loaders in tests."""

from __future__ import annotations

from pathlib import Path


def make_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """A SamModel with a 2-layer, 32-wide encoder (+ its PIL image processor) saved into ``folder``."""
    import torch
    from transformers import SamConfig, SamMaskDecoderConfig, SamModel, SamPromptEncoderConfig, SamVisionConfig
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    torch.manual_seed(seed)
    vision = SamVisionConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        mlp_dim=64,
        output_channels=32,
        global_attn_indexes=[1],
        window_size=4,
        num_pos_feats=16,
    )
    prompt = SamPromptEncoderConfig(hidden_size=32, mask_input_channels=4)
    decoder = SamMaskDecoderConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_dim=64, iou_head_hidden_dim=32
    )
    config = SamConfig(
        vision_config=vision.to_dict(), prompt_encoder_config=prompt.to_dict(), mask_decoder_config=decoder.to_dict()
    )
    SamModel(config).eval().save_pretrained(folder)
    SamImageProcessorPil().save_pretrained(folder)
    return folder


def _tiny_clip_tokenizer(folder: Path):
    """A CLIPTokenizer built in memory from a tiny byte-level vocab (transformers 5 ignores vocab_file)."""
    from transformers import CLIPTokenizer

    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in letters + "0123456789.,!?'-":
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    merges = [("r", "e"), ("e", "d</w>"), ("a", "t</w>")]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tok = CLIPTokenizer(
        vocab=vocab,
        merges=merges,
        model_max_length=77,
        unk_token="<|endoftext|>",
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    tok.save_pretrained(folder)
    return tok


def make_tiny_inpaint(folder: Path, seed: int = 0) -> Path:
    """A tiny StableDiffusionInpaintPipeline (9-channel UNet, 32/64 wide) saved like the hub repo.

    Layout: model_index.json, scheduler/, text_encoder/, tokenizer/, unet/, vae/ (no safety checker).
    Native size 64 px (``unet.config.sample_size`` 8 x VAE factor 8).
    """
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=9,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=16,
    )
    vae = AutoencoderKL(
        block_out_channels=(16, 32),
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        norm_num_groups=16,
        sample_size=64,
    )
    tok = _tiny_clip_tokenizer(folder / "tokenizer")
    text = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            vocab_size=len(tok),
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            projection_dim=32,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionInpaintPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tok,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def make_tiny_taesd(folder: Path, seed: int = 0) -> Path:
    """A tiny random ``AutoencoderTiny`` (TAESD's architecture, 8 channels wide) saved like madebyollin/taesd."""
    import torch
    from diffusers import AutoencoderTiny

    folder = Path(folder)
    torch.manual_seed(seed)
    vae = AutoencoderTiny(
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
    )
    vae.save_pretrained(folder, safe_serialization=True)
    return folder


def make_tiny_lcm_lora(folder: Path, base: Path, rank: int = 4, seed: int = 0) -> Path:
    """A random (non-zero) LoRA for ``base``'s UNet, saved as ``pytorch_lora_weights.safetensors`` like LCM-LoRA.

    Needs peft (diffusers' LoRA backend).
    """
    import torch
    from diffusers import StableDiffusionInpaintPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel.from_pretrained(Path(base) / "unet")
    unet.add_adapter(
        LoraConfig(
            r=rank, lora_alpha=rank, init_lora_weights=False, target_modules=["to_q", "to_k", "to_v", "to_out.0"]
        )
    )
    StableDiffusionInpaintPipeline.save_lora_weights(
        folder, unet_lora_layers=get_peft_model_state_dict(unet), safe_serialization=True
    )
    return folder


# -- insightface-shaped tiny ONNX graphs ----------------------------------------------------------------

TINY_FACE_CELL = 32  # the tiny detector "sees" a face in every bright 32x32 cell (stride-32 grid)


def make_tiny_insightface(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """Tiny ONNX graphs with insightface's signatures, laid out like the real roles' folders.

    Returns (face_analysis folder, inswapper folder):
    - ``models/buffalo_l/det_10g.onnx``: SCRFD-like detector, input [1, 3, H, W] (dynamic), the 9 outputs of
      det_10g (scores [N, 1], boxes [N, 4], keypoints [N, 10] for strides 8, 16, 32, 2 anchors); a 32-px cell
      whose mean is bright scores high at stride 32 (box 96 px around the cell's top-left corner);
    - ``models/buffalo_l/w600k_r50.onnx``: recogniser [1, 3, 112, 112] -> [1, 512];
    - ``inswapper_128.onnx``: swapper, target [1, 3, 128, 128] + source [1, 512] -> [1, 3, 128, 128]; its
      last initializer is the [512, 512] ``emap`` insightface reads.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    fa = folder / "face_analysis"
    sw = folder / "inswapper"
    (fa / "models" / "buffalo_l").mkdir(parents=True, exist_ok=True)
    sw.mkdir(parents=True, exist_ok=True)

    def save(graph, path: Path) -> None:
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(path))

    # detector
    nodes, inits, outs = [], [], {"score": [], "bbox": [], "kps": []}
    kps_off = np.array([-0.5, -0.5, 0.5, -0.5, 0.0, 0.0, -0.4, 0.5, 0.4, 0.5], np.float32)
    for s in (8, 16, 32):
        nodes.append(helper.make_node("AveragePool", ["input.1"], [f"pool{s}"], kernel_shape=[s, s], strides=[s, s]))
        for kind, per in (("score", 1), ("bbox", 4), ("kps", 10)):
            c = 2 * per
            w = np.zeros((c, 3, 1, 1), np.float32)
            if kind == "score":
                b = np.full(c, -20.0, np.float32)
                if s == 32:
                    w[:] = 10.0 / 3
                    b[:] = -5.0
            elif kind == "bbox":
                b = np.full(c, 96 / 2 / s, np.float32)
            else:
                b = np.tile(kps_off * 96 / 2 / s, 2)
            inits += [
                numpy_helper.from_array(w, f"w_{kind}{s}"),
                numpy_helper.from_array(b.astype(np.float32), f"b_{kind}{s}"),
            ]
            conv = f"conv_{kind}{s}"
            nodes.append(helper.make_node("Conv", [f"pool{s}", f"w_{kind}{s}", f"b_{kind}{s}"], [conv]))
            src = conv
            if kind == "score":
                nodes.append(helper.make_node("Sigmoid", [conv], [f"sig{s}"]))
                src = f"sig{s}"
            nodes.append(helper.make_node("Transpose", [src], [f"t_{kind}{s}"], perm=[0, 2, 3, 1]))
            inits.append(numpy_helper.from_array(np.array([-1, per], np.int64), f"shape_{kind}{s}"))
            name = f"{kind}_{s}"
            nodes.append(helper.make_node("Reshape", [f"t_{kind}{s}", f"shape_{kind}{s}"], [name]))
            outs[kind].append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n", per]))
    det = helper.make_graph(
        nodes,
        "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "h", "w"])],
        outs["score"] + outs["bbox"] + outs["kps"],
        inits,
    )
    save(det, fa / "models" / "buffalo_l" / "det_10g.onnx")

    # recogniser
    wr = rng.standard_normal((3, 512)).astype(np.float32)
    rec = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input.1"], ["gap"]),
            helper.make_node("Flatten", ["gap"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w_rec"], ["emb"]),
            helper.make_node("Add", ["emb", "b_rec"], ["683"]),
        ],
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, [1, 512])],
        [
            numpy_helper.from_array(wr, "w_rec"),
            numpy_helper.from_array(rng.standard_normal(512).astype(np.float32), "b_rec"),
        ],
    )
    save(rec, fa / "models" / "buffalo_l" / "w600k_r50.onnx")

    # swapper (emap last among the initializers, as insightface expects)
    emap = (np.eye(512) + 0.01 * rng.standard_normal((512, 512))).astype(np.float32)
    wc = (0.02 * rng.standard_normal((512, 3))).astype(np.float32)
    swp = helper.make_graph(
        [
            helper.make_node("MatMul", ["source", "emap"], ["lat"]),
            helper.make_node("MatMul", ["lat", "w_col"], ["col"]),
            helper.make_node("Reshape", ["col", "col_shape"], ["col4"]),
            helper.make_node("Mul", ["target", "half"], ["t_half"]),
            helper.make_node("Add", ["t_half", "col4"], ["sum"]),
            helper.make_node("Add", ["sum", "quarter"], ["sum2"]),
            helper.make_node("Clip", ["sum2", "zero", "one"], ["output"]),
        ],
        "tiny_inswapper",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        [
            numpy_helper.from_array(wc, "w_col"),
            numpy_helper.from_array(np.array([1, 3, 1, 1], np.int64), "col_shape"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
            numpy_helper.from_array(np.array(0.25, np.float32), "quarter"),
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(np.array(1.0, np.float32), "one"),
            numpy_helper.from_array(emap, "emap"),
        ],
    )
    save(swp, sw / "inswapper_128.onnx")
    return fa, sw


def make_tiny_sam2(folder: Path, seed: int = 0, image_size: int = 256) -> Path:
    """A tiny random Sam2Model (hiera 8..64 wide, one block per stage, ``image_size`` px input) saved like
    the hub repo (config.json + model.safetensors), for the real ``load_sam2`` loader."""
    import torch
    from transformers import Sam2Config, Sam2Model
    from transformers.models.sam2.configuration_sam2 import (
        Sam2HieraDetConfig,
        Sam2MaskDecoderConfig,
        Sam2PromptEncoderConfig,
        Sam2VisionConfig,
    )

    torch.manual_seed(seed)
    s = image_size
    backbone = Sam2HieraDetConfig(
        image_size=[s, s],
        hidden_size=8,
        num_attention_heads=1,
        blocks_per_stage=[1, 1, 2, 1],
        embed_dim_per_stage=[8, 16, 32, 64],
        num_attention_heads_per_stage=[1, 1, 1, 1],
        window_size_per_stage=[8, 4, 4, 4],
        global_attention_blocks=[3],
        window_positional_embedding_background_size=[4, 4],
    )
    vision = Sam2VisionConfig(
        backbone_config=backbone,
        backbone_channel_list=[64, 32, 16, 8],
        backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
        fpn_hidden_size=32,
    )
    config = Sam2Config(
        vision_config=vision,
        prompt_encoder_config=Sam2PromptEncoderConfig(hidden_size=32, image_size=s, patch_size=16),
        mask_decoder_config=Sam2MaskDecoderConfig(
            hidden_size=32, mlp_dim=64, num_attention_heads=2, iou_head_hidden_dim=32
        ),
    )
    folder = Path(folder)
    Sam2Model(config).eval().save_pretrained(folder)
    return folder


# -- text selection (segmenters/text_models.py) ----------------------------------------------------------


def make_tiny_clipseg(folder: Path, seed: int = 0) -> Path:
    """A CLIPSegForImageSegmentation with 32-wide, 3-layer text and vision towers (32 px input, patch 8), the
    refined decoder, a tiny CLIP tokenizer and a 32 px preprocessor_config.json, laid out like
    CIDAS/clipseg-rd64-refined."""
    import json

    import torch
    from transformers import CLIPSegConfig, CLIPSegForImageSegmentation

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tok = _tiny_clip_tokenizer(folder)
    config = CLIPSegConfig(
        text_config={
            "vocab_size": len(tok),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 3,
            "num_attention_heads": 2,
            "max_position_embeddings": 77,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 3,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
        extract_layers=[1, 2],
        reduce_dim=16,
        decoder_num_attention_heads=2,
        decoder_intermediate_size=32,
        use_complex_transposed_convolution=True,
    )
    CLIPSegForImageSegmentation(config).eval().save_pretrained(folder, safe_serialization=True)
    (folder / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "size": 32,
                "image_mean": [0.485, 0.456, 0.406],
                "image_std": [0.229, 0.224, 0.225],
                "image_processor_type": "ViTImageProcessor",
                "processor_class": "CLIPSegProcessor",
            }
        )
    )
    return folder


def make_tiny_sam3(folder: Path, seed: int = 0, queries: int = 8) -> Path:
    """A Sam3Model with a 2-layer 32-wide ViT (56 px input, patch 14), 32-wide CLIP text tower, 1-layer DETR
    encoder/decoder with ``queries`` queries, a tiny CLIP tokenizer and a 56 px processor_config.json, laid
    out like facebook/sam3."""
    import json

    import torch
    from transformers import Sam3Config, Sam3Model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    tok = _tiny_clip_tokenizer(folder)
    config = Sam3Config(
        vision_config={
            "backbone_config": {
                "model_type": "sam3_vit_model",
                "hidden_size": 32,
                "intermediate_size": 64,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "image_size": 56,
                "patch_size": 14,
                "window_size": 2,
                "global_attn_indexes": [1],
                "pretrain_image_size": 28,
            },
            "fpn_hidden_size": 32,
            "backbone_feature_sizes": [[16, 16], [8, 8], [4, 4]],
        },
        text_config={
            "model_type": "clip_text_model",
            "vocab_size": len(tok),
            "hidden_size": 32,
            "intermediate_size": 64,
            "projection_dim": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 32,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        geometry_encoder_config={"hidden_size": 32, "num_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
        detr_encoder_config={"hidden_size": 32, "num_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
        detr_decoder_config={
            "hidden_size": 32,
            "num_layers": 1,
            "num_queries": queries,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        mask_decoder_config={"hidden_size": 32, "num_attention_heads": 2},
    )
    Sam3Model(config).eval().save_pretrained(folder, safe_serialization=True)
    (folder / "processor_config.json").write_text(
        json.dumps(
            {
                "image_processor": {
                    "size": {"height": 56, "width": 56},
                    "image_mean": [0.5, 0.5, 0.5],
                    "image_std": [0.5, 0.5, 0.5],
                },
                "processor_class": "Sam3Processor",
            }
        )
    )
    return folder
