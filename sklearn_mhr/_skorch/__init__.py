"""The skorch glue of :class:`~sklearn_mhr.MHRAudioClassifier`.

``clips``: the torch Dataset of clips, the collate functions and inference
batching; ``inference``: the one way in for inference (predict, transform,
analysis, windows and streams); ``net``: the NeuralNet subclass, the optimizers and the cosine
schedule; ``build``: the one way to build a net from the estimator's
parameters; ``threads``: torch's thread count for a block.
"""

from sklearn_mhr._skorch.build import (
    LR_SCHEDULES,
    base_seed,
    can_continue,
    check_precision,
    continue_net,
    fitted_attributes,
    forget_fit_state,
    module_params,
    resolve_device,
    restart_learning_rates,
    seeded_rng,
    start_net,
)
from sklearn_mhr._skorch.clips import (
    ClipDataset,
    apply_in_batches,
    collate_cropped,
    collate_tiled,
    inference_batches,
)
from sklearn_mhr._skorch.net import (
    OPTIMIZERS,
    PRECISIONS,
    CosineSchedule,
    MixupNet,
    TrainingDivergedError,
    raise_if_interrupted,
)
from sklearn_mhr._skorch.threads import torch_threads

__all__ = [
    "LR_SCHEDULES", "OPTIMIZERS", "PRECISIONS", "ClipDataset", "CosineSchedule", "MixupNet",
    "TrainingDivergedError", "apply_in_batches", "base_seed", "can_continue", "check_precision",
    "collate_cropped",
    "collate_tiled", "continue_net", "fitted_attributes", "forget_fit_state",
    "inference_batches", "module_params", "raise_if_interrupted", "resolve_device",
    "restart_learning_rates", "seeded_rng", "start_net", "torch_threads",
]
