"""Selection grammar, as a table of selector -> selected names."""

from __future__ import annotations

import pytest

from evalhouse import Project
from evalhouse.compile.selector import Criterion, select_nodes
from evalhouse.errors import SelectionError

FILES = {
    "seeds/raw.csv": "id\n1\n",
    "models/staging/stg.sql": "select * from {{ ref('raw') }}",
    "models/staging/schema.yml": "models:\n  - name: stg\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
    "models/mid/a.sql": "{{ config(tags=['nightly']) }}select * from {{ ref('stg') }}",
    "models/mid/b.sql": "{{ config(materialized='table', tags=['nightly', 'metric']) }}select * from {{ ref('a') }}",
    "models/metrics/c.sql": "{{ config(materialized='table') }}select * from {{ ref('b') }}",
    "models/metrics/d.sql": "select * from {{ ref('c') }}",
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from conftest import write_files

    root = tmp_path_factory.mktemp("sel")
    write_files(root, {"project.yml": "name: sel\n", **FILES})
    return Project.load(root).compile(write=False)


@pytest.mark.parametrize(
    ("select", "exclude", "expected"),
    [
        (["b"], [], {"b"}),
        (["+b"], [], {"raw", "stg", "a", "b", "not_null_stg_id"}),
        (["b+"], [], {"b", "c", "d"}),
        (["1+b"], [], {"a", "b"}),
        (["b+1"], [], {"b", "c"}),
        (["2+c+1"], [], {"a", "b", "c", "d"}),
        (["tag:nightly"], [], {"a", "b"}),
        (["tag:nightly,tag:metric"], [], {"b"}),
        (["tag:nightly c"], [], {"a", "b", "c"}),
        (["tag:nightly", "d"], [], {"a", "b", "d"}),
        (["path:models/metrics"], [], {"c", "d"}),
        (["path:models/metrics/c.sql"], [], {"c"}),
        (["config.materialized:table"], [], {"b", "c"}),
        (["config.materialized:table,path:models/mid"], [], {"b"}),
        (["resource_type:seed"], [], {"raw"}),
        (["stg"], [], {"stg", "not_null_stg_id"}),
        (["stg"], ["resource_type:test"], {"stg"}),
        (["b+"], ["d"], {"b", "c"}),
        (["*"], ["path:models/mid path:models/metrics"], {"raw", "stg", "not_null_stg_id"}),
        (["name:s*"], [], {"stg", "not_null_stg_id"}),
    ],
)
def test_selection(compiled, select, exclude, expected):
    chosen = select_nodes(compiled.nodes, compiled.graph, select, exclude)
    assert {compiled.nodes[uid].name for uid in chosen} == expected


def test_no_selection_means_everything(compiled):
    assert select_nodes(compiled.nodes, compiled.graph) == set(compiled.nodes)


def test_a_selector_that_matches_nothing_is_an_error_with_a_suggestion(compiled):
    with pytest.raises(SelectionError) as info:
        select_nodes(compiled.nodes, compiled.graph, ["stgg+"])
    assert "matches no node" in info.value.message
    assert info.value.hint == "did you mean 'stg'?"


def test_unknown_method_is_an_error():
    with pytest.raises(SelectionError) as info:
        Criterion.parse("tags:x")
    assert info.value.hint == "did you mean 'tag'?"


def test_parse_reads_depths():
    criterion = Criterion.parse("3+tag:x+2")
    assert (criterion.method, criterion.value) == ("tag", "x")
    assert (criterion.parents_depth, criterion.children_depth) == (3, 2)
