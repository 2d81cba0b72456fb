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
