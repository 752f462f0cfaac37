"""Tiny random models laid out like the real hub repos, loaded through the real loaders in tests."""

from __future__ import annotations

from pathlib import Path


def make_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """A SamModel with a 2-layer, 32-wide encoder (+ its PIL image processor) saved into ``folder``."""
    import torch
    from transformers import (SamConfig, SamMaskDecoderConfig, SamModel, SamPromptEncoderConfig,
                              SamVisionConfig)
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    torch.manual_seed(seed)
    vision = SamVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_dim=64,
                             output_channels=32, global_attn_indexes=[1], window_size=4, num_pos_feats=16)
    prompt = SamPromptEncoderConfig(hidden_size=32, mask_input_channels=4)
    decoder = SamMaskDecoderConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_dim=64,
                                   iou_head_hidden_dim=32)
    config = SamConfig(vision_config=vision.to_dict(), prompt_encoder_config=prompt.to_dict(),
                       mask_decoder_config=decoder.to_dict())
    SamModel(config).eval().save_pretrained(folder)
    SamImageProcessorPil().save_pretrained(folder)
    return folder
