"""User files in and out for both front ends that ``console.importing`` does not cover:
sensor session bundles carried from van to depot."""
