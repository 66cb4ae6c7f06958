"""The example early-help model and the four-variable baseline it must beat.

Trained on one period (cutoff ``TRAIN_CUTOFF``, referrals in the year after)
and assessed on a later one (``ASSESS_CUTOFF``), so the assessment measures
what a council would see in use, not how well the model remembers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from famlink.core.errors import InvalidInput
from famlink.core.targeting.features import BASELINE_FEATURES, FEATURE_NAMES, LABELS

TRAIN_CUTOFF = pd.Timestamp("2022-01-01")
ASSESS_CUTOFF = pd.Timestamp("2023-01-01")
ARTEFACT = "model.joblib"


@dataclass
class TrainedModel:
    """The fitted pipeline, its baseline, and what it was trained on."""

    model_id: str
    pipeline: Pipeline
    baseline: Pipeline
    train_cutoff: str
    trained_at: str
    train_rows: int
    train_base_rate: float

    def score(self, features: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(features[list(FEATURE_NAMES)])[:, 1]

    def baseline_score(self, features: pd.DataFrame) -> np.ndarray:
        return self.baseline.predict_proba(features[list(BASELINE_FEATURES)])[:, 1]

    def explain(self, row: pd.Series, top: int = 5) -> list[dict[str, object]]:
        """The inputs that pushed this child's score up most, in plain words, with their values."""
        scaler: StandardScaler = self.pipeline[0]
        model: LogisticRegression = self.pipeline[-1]
        values = row[list(FEATURE_NAMES)].to_numpy(dtype=float)
        pushes = model.coef_[0] * (values - scaler.mean_) / scaler.scale_
        order = np.argsort(-pushes)[:top]
        return [
            {"input": FEATURE_NAMES[i], "label": LABELS[FEATURE_NAMES[i]], "value": float(values[i]), "push": round(float(pushes[i]), 3)}
            for i in order
            if pushes[i] > 0
        ]


def train(model_id: str, features: pd.DataFrame, train_cutoff: str) -> TrainedModel:
    """Fit the model and the baseline on one period's features and labels."""
    y = features["label"].to_numpy()
    if y.sum() < 10 or (len(y) - y.sum()) < 10:
        raise InvalidInput(f"too few referrals to train on ({int(y.sum())} of {len(y)} children)")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    pipeline.fit(features[list(FEATURE_NAMES)], y)
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    baseline.fit(features[list(BASELINE_FEATURES)], y)
    return TrainedModel(
        model_id=model_id,
        pipeline=pipeline,
        baseline=baseline,
        train_cutoff=train_cutoff,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        train_rows=len(y),
        train_base_rate=float(y.mean()),
    )


def save(model: TrainedModel, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / ARTEFACT)
    card = {
        "model_id": model.model_id,
        "train_cutoff": model.train_cutoff,
        "trained_at": model.trained_at,
        "train_rows": model.train_rows,
        "train_base_rate": model.train_base_rate,
        "features": {name: LABELS[name] for name in FEATURE_NAMES},
        "coefficients": dict(zip(FEATURE_NAMES, model.pipeline[-1].coef_[0].round(4).tolist(), strict=True)),
        "baseline_features": list(BASELINE_FEATURES),
    }
    (folder / "model-card.json").write_text(json.dumps(card, indent=2))
    return folder / ARTEFACT


def load(folder: Path) -> TrainedModel:
    path = folder / ARTEFACT
    if not path.is_file():
        raise InvalidInput("the model has not been trained yet (no saved model)", where=str(path))
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise InvalidInput("the saved file is not a famlink model", where=str(path))
    return model
