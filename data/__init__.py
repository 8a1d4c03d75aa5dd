"""The dataset registry (`registry.json`), installed as `tl_course._registry`."""
