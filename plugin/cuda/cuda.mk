# CUDA backend build rules (filled in by the CUDA backend work).
