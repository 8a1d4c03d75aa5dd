"""The course's registries, installed as `tl_course._registry`: datasets (`registry.json`) and models (`models.json`)."""
