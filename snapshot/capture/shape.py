"""MLflow's REST answers (a source's, snapshot.sources.base) in the snapshot document's shape."""

from __future__ import annotations


def pairs(items) -> dict:
    """REST `[{key, value}]` lists as `{key: value}`."""
    if isinstance(items, dict):
        return dict(sorted(items.items()))
    return {i["key"]: i.get("value", "") for i in sorted(items or [], key=lambda i: i["key"])}


def shape_run(raw: dict, absent_lists_are_empty: bool) -> dict:
    """A REST run as the document's `run` section; `absent_lists_are_empty`: the reply leaves out empty lists."""
    data, inputs, outputs = raw.get("data", {}), raw.get("inputs", {}), raw.get("outputs", {})
    metrics = {m["key"]: {"value": m.get("value"), "step": int(m.get("step", 0)), "timestamp": m.get("timestamp")}
               for m in data.get("metrics") or []}
    datasets = []
    for item in inputs.get("dataset_inputs") or []:
        ds = dict(item.get("dataset", {}))
        ds["tags"] = pairs(item.get("tags"))
        datasets.append(ds)
    datasets.sort(key=lambda d: (d.get("name", ""), d.get("digest", ""), d["tags"].get("mlflow.data.context", "")))

    def key(m: dict) -> tuple:
        return m.get("model_id", ""), m.get("step", 0)

    shaped = {
        "info": raw.get("info", {}),
        "params": pairs(data.get("params")),
        "metrics": dict(sorted(metrics.items())),
        "tags": pairs(data.get("tags")),
        "dataset_inputs": datasets,
    }
    if absent_lists_are_empty or "model_inputs" in inputs:
        shaped["model_inputs"] = sorted(inputs.get("model_inputs") or [], key=key)
    if "outputs" in raw:  # MLflow 3's field: a 2.x server sends none, and then the snapshot has none
        shaped["model_outputs"] = sorted(outputs.get("model_outputs") or [], key=key)
    return shaped
