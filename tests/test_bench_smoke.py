"""The benchmark's contenders agree on a tiny workload (bench/; nothing is timed here).

Generates 300 users, builds the evalhouse ranking suite on them as bench/run.py does, and
checks that the hand-written DuckDB query, pandas, ranx and pytrec_eval give the same
shared metric set to 1e-9.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory):
    sys.path.insert(0, str(BENCH))
    try:
        import contenders
        import run

        yield run, contenders, tmp_path_factory.mktemp("bench")
    finally:
        sys.path.remove(str(BENCH))


def test_every_contender_agrees_with_evalhouse(bench) -> None:
    run, contenders, work = bench
    from evalhouse import Project, RunOptions

    data = work / "data"
    summary = run.generate(300, data, seed=3)
    assert summary["recs_rows"] == 300 * 100

    project_dir = run.make_project(work / "project", data, threads=1, memory_limit=None, spill=work / "spill")
    result = Project.load(project_dir).build(
        RunOptions(select=run.RANKING_SUITE.split(), report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results if not r.ok]

    outcomes = [run.Outcome("evalhouse", "ok", means=run.evalhouse_means(project_dir))]
    for name in ("floor", "pandas", "ranx", "pytrec_eval"):
        _, _, means = contenders.compute(name, data, run.K_VALUES, 1.0, threads=1)
        outcomes.append(run.Outcome(name, "ok", means={f"{m}@{k}": v for (m, k), v in means.items()}))
    assert run.check_agreement(outcomes), [(o.contender, o.max_diff, o.detail) for o in outcomes]
    assert all(o.max_diff is not None and o.max_diff <= 1e-9 for o in outcomes)


def test_the_spark_contender_project_and_its_summary(bench) -> None:
    """The Spark contender's project: the full build's, with targets.spark for one machine
    (the driver's heap, where Spark spills); and the line it reports from the comparison.
    No Spark here: bench/run.py runs the builds (python bench/run.py --contenders spark)."""
    run, _, work = bench
    sys.path.insert(0, str(BENCH))
    try:
        import spark_parity
    finally:
        sys.path.remove(str(BENCH))
    from evalhouse import Project
    from evalhouse.api.parity import RelationParity
    from evalhouse.targets.spark.session import spark_spec

    data = work / "spark_data"
    run.generate(30, data, seed=4, with_train=True)
    project_dir = run.make_project(work / "project_spark", data, threads=1, memory_limit=None,
                                   spill=work / "spill", suite="full")
    spark_parity.add_spark_target(project_dir, "3g", work / "spark_local")
    project = Project.load(project_dir)
    settings = spark_spec(project).settings()
    assert settings["spark.driver.memory"] == "3g"
    assert settings["spark.local.dir"] == (work / "spark_local").as_posix()
    assert project.config.evaluation.baselines == ["popular"]  # still the full build's project

    parities = [RelationParity("main.a", 10, 30, 2e-15, None), RelationParity("main.b", 4, 8, None, None),
                RelationParity("main.c", 5, 10, 3e-12, "1 of 5 rows differ; the first: ...")]
    summary = spark_parity.summarize(parities, {"ndcg@10": 0.5}, 1.234)
    assert summary == {"relations": 3, "values": 48, "rows": 19, "max_difference": 3e-12, "largest_in": "main.c",
                       "differing": ["main.c: 1 of 5 rows differ; the first: ..."], "compare_s": 1.23,
                       "means": {"ndcg@10": 0.5}}


def test_a_failed_contender_is_reported_by_its_error_not_a_later_warning(bench) -> None:
    run, _, _ = bench
    build_output = ("1 of 40 START table train\n"
                    "Error: beyond_list_stats: Out of Memory Error: failed to offload data block\n"
                    "warning: train has no ts column: recency metrics are left out\n\n")
    assert run.failure_line(build_output).startswith("Error: beyond_list_stats")
    assert run.failure_line("warning: only a warning\n") == "warning: only a warning"
    assert run.failure_line("") == ""
