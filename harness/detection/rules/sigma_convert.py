"""Converts Sigma rule files with pySigma's Elasticsearch (Lucene) backend for scanproof.

Usage: python sigma_convert.py PIPELINE.yml LOGSOURCES.yml FILE...

Prints one JSON object per file: {"file", "rules": [...], "skipped": [...]} or {"file", "error"}.
A rule is a query rule (its Lucene query and the indices its logsource maps to) or, for a Sigma
correlation of type event_count or value_count, a threshold over the queries of the rules it
correlates. Anything else is skipped with the reason; a file pySigma cannot parse is an error.
"""

import json
import sys

import yaml
from sigma.backends.elasticsearch import LuceneBackend
from sigma.collection import SigmaCollection
from sigma.correlations import (
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule


def main(pipeline_file, logsources_file, files):
    with open(pipeline_file, encoding="utf-8") as f:
        pipeline_text = f.read()
    with open(logsources_file, encoding="utf-8") as f:
        logsources = yaml.safe_load(f)
    field_mapping = next(
        t["mapping"] for t in yaml.safe_load(pipeline_text)["transformations"] if t["type"] == "field_name_mapping"
    )
    for path in files:
        print(json.dumps(convert_file(path, pipeline_text, logsources, field_mapping)), flush=True)


def convert_file(path, pipeline_text, logsources, field_mapping):
    try:
        with open(path, encoding="utf-8") as f:
            collection = SigmaCollection.from_yaml(f.read())
        collection.resolve_rule_references()
    except Exception as error:  # pySigma raises more than SigmaError on malformed input
        return {"file": path, "error": f"{type(error).__name__}: {error}" if not isinstance(error, SigmaError) else str(error)}
    rules, skipped = [], []
    correlated = set()
    for rule in collection.rules:
        if isinstance(rule, SigmaCorrelationRule):
            for reference in rule.rules or []:
                if not rule.generate:
                    correlated.add(id(reference.rule))
    for rule in collection.rules:
        if isinstance(rule, SigmaRule) and id(rule) in correlated:
            reason = "a correlation refers to it (generate: false): it counts toward the correlation and does not alert on its own"
            skipped.append({"id": str(rule.id or ""), "title": str(rule.title), "reason": reason})
            continue
        try:
            if isinstance(rule, SigmaCorrelationRule):
                rules.append(correlation(rule, pipeline_text, logsources, field_mapping))
            else:
                rules.append(query_rule(rule, pipeline_text, logsources))
        except Skip as skip:
            skipped.append({"id": str(rule.id or ""), "title": str(rule.title), "reason": str(skip)})
        except SigmaError as error:
            skipped.append({"id": str(rule.id or ""), "title": str(rule.title), "reason": f"pySigma: {error}"})
        except Exception as error:  # a rule pySigma accepted but cannot convert
            reason = f"pySigma failed to convert it: {type(error).__name__}: {error}"
            skipped.append({"id": str(rule.id or ""), "title": str(rule.title), "reason": reason})
    return {"file": path, "rules": rules, "skipped": skipped}


class Skip(Exception):
    pass


def lucene(rule, pipeline_text):
    backend = LuceneBackend(processing_pipeline=ProcessingPipeline.from_yaml(pipeline_text))
    # A rule a correlation refers to is not converted on its own (Sigma's generate: false);
    # scanproof needs its query for the correlation's threshold search.
    rule._output = True
    queries = backend.convert_rule(rule)
    if not queries:
        raise Skip("pySigma's Lucene backend gave no query")
    return queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)


def indices(rule, logsources):
    source = {k: v for k, v in (("category", rule.logsource.category), ("product", rule.logsource.product), ("service", rule.logsource.service)) if v}
    for entry in logsources:
        if all(source.get(k) == v for k, v in entry["logsource"].items()):
            return entry["index"]
    shown = ", ".join(f"{k}: {v}" for k, v in source.items()) or "none"
    raise Skip(f"no scanproof index for the logsource ({shown}): assertions/sigma/logsources.yml maps it")


def described(rule):
    return {
        "id": str(rule.id) if rule.id else "",
        "title": str(rule.title),
        "description": str(rule.description or ""),
        "level": rule.level.name.lower() if rule.level else "medium",
        "status": rule.status.name.lower() if rule.status else "",
        "tags": [f"{t.namespace}.{t.name}" for t in rule.tags],
        "falsepositives": [str(f) for f in rule.falsepositives or []],
    }


def query_rule(rule, pipeline_text, logsources):
    return {**described(rule), "kind": "query", "query": lucene(rule, pipeline_text), "index": indices(rule, logsources)}


def correlation(rule, pipeline_text, logsources, field_mapping):
    if rule.type not in (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT):
        raise Skip(
            f"correlation type {rule.type.name.lower()}: scanproof maps event_count and value_count onto its threshold execution"
        )
    condition = rule.condition
    op = getattr(condition, "op", None)
    if op == SigmaCorrelationConditionOperator.GTE:
        count = condition.count
    elif op == SigmaCorrelationConditionOperator.GT:
        count = condition.count + 1
    else:
        shown = op.name.lower() if op else "an extended condition"
        raise Skip(f"correlation condition {shown}: a threshold alerts when a count reaches a value (gte or gt)")
    bases = [reference.rule for reference in rule.rules or []]
    if not bases or any(not isinstance(b, SigmaRule) for b in bases):
        raise Skip("a correlation of correlations: scanproof correlates detection rules only")
    index_sets = {tuple(indices(b, logsources)) for b in bases}
    if len(index_sets) != 1:
        raise Skip("the correlated rules read different indices, which one threshold search cannot")
    queries = [lucene(b, pipeline_text) for b in bases]
    mapped = lambda field: field_mapping.get(field, field)
    result = {
        **described(rule),
        "kind": "threshold",
        "query": queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries),
        "index": list(index_sets.pop()),
        "group_by": [mapped(f) for f in rule.group_by or []],
        "timespan_seconds": rule.timespan.seconds,
        "value": count,
    }
    if rule.type == SigmaCorrelationType.VALUE_COUNT:
        field = condition.fieldref
        if not isinstance(field, str):
            raise Skip("a value_count correlation needs one field to count distinct values of")
        result["value"] = 1
        result["cardinality"] = {"field": mapped(field), "value": count}
    return result


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
