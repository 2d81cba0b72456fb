"""The benchmark: evalhouse against ranx, pytrec_eval, pandas and one hand-written DuckDB query.

    python bench/run.py --scales 10k,100k,300k

For each scale: generate the workload once (bench/generate.py, kept under --data), then run
every contender in its own process on the same Parquet files, each with a memory cap and a
time limit, check that all agree to 1e-9 on the shared metric set (precision, recall,
ndcg, map, mrr, hit_rate at every K), and print a table: wall time, the contender's own
split (building its inputs / computing), peak memory and the ratio to evalhouse. Results
go to --out as JSON, one file per scale. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from evalhouse_project import (  # noqa: E402
    K_VALUES,
    RANKING_SUITE,
    SHARED_METRICS,
    evalhouse_means,
    make_project,
    slowest_nodes,
)
from generate import candidate_path, generate, generate_candidate, n_items_for, parse_count  # noqa: E402
from measure import child_env, machine, run_measured  # noqa: E402

TOLERANCE = 1e-9
LIBRARIES = ("ranx", "pytrec_eval")
CONTENDERS = ("evalhouse", "floor", "pandas", *LIBRARIES)


@dataclass
class Outcome:
    contender: str
    status: str  # ok | killed (memory) | timeout | failed | skipped
    wall_s: float | None = None
    peak_gb: float | None = None
    peak_temp_gb: float | None = None  # the largest size of the contender's temp folder (evalhouse)
    inputs_s: float | None = None
    compute_s: float | None = None
    detail: str = ""
    means: dict[str, float] = field(default_factory=dict)
    max_diff: float | None = None
    walls: list[float] = field(default_factory=list)  # every run's wall time (--repeat)


# --- running one process, measured from outside ---------------------------------------


# --- the evalhouse project --------------------------------------------------------------


def failure_line(text: str) -> str:
    """The line that says why a contender failed: the last line of its output that is not a
    warning (a build that fails can print its warnings after the error), else the last."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    said = [line for line in lines if not line.lstrip().lower().startswith("warning:")]
    return (said or lines or [""])[-1]


def run_evalhouse(data: Path, work: Path, args: argparse.Namespace, suite: str = "ranking") -> Outcome:
    name = {"ranking": "evalhouse", "beyond": "evalhouse+beyond", "full": "evalhouse full build"}[suite]
    spill = work / f"spill_{suite}"
    project = make_project(work / f"project_{suite}", data, threads=args.threads,
                           memory_limit=args.memory_limit, spill=spill, suite=suite,
                           candidate_files=args.candidate_files, baselines=args.baselines,
                           max_temp=args.max_temp)
    if suite == "full":
        # every model and test, the report and MLflow: what `evalhouse build` does
        command = ["evalhouse", "build", "--project-dir", str(project), "-q"]
    else:
        select = RANKING_SUITE if suite == "ranking" else RANKING_SUITE + " +metrics"
        command = ["evalhouse", "build", "--project-dir", str(project), "--no-mlflow", "--no-report", "-q",
                   "-s", select]
    # warm the code path once (bytecode and template caches, as on any machine that ran it
    # before); the measured build then starts from an empty warehouse
    subprocess.run(["evalhouse", "compile", "--project-dir", str(project), "-q"], check=True,
                   env=child_env(args.threads), stdout=subprocess.DEVNULL)
    (project / "target" / "warehouse.duckdb").unlink(missing_ok=True)
    shutil.rmtree(spill, ignore_errors=True)
    spill.mkdir(parents=True)
    measured = run_measured(command, cap_gb=args.cap_gb, timeout_s=args.timeout,
                            env=child_env(args.threads),
                            # DuckDB spills to temp_directory, else beside the database
                            temp_dir=spill if args.memory_limit else project / "target" / "warehouse.duckdb.tmp")
    status, out, err = measured.status, measured.out, measured.err
    outcome = Outcome(name, status, measured.wall, measured.peak_gb)
    outcome.peak_temp_gb = measured.peak_temp_gb
    delivery = ""
    if suite == "full" and status == "ok":
        # the CLI hands the MLflow runs to a background sender and returns; wait for it here
        # (untimed, so the next contender does not share the cores with it) and say how long
        started = time.perf_counter()
        subprocess.run(["evalhouse", "log", "--project-dir", str(project), "-q"], check=False,
                       env=child_env(args.threads), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delivery = f"; MLflow runs delivered {time.perf_counter() - started:.1f}s after the build returned"
    if status == "ok":
        outcome.means = evalhouse_means(project)
        outcome.detail = "slowest: " + slowest_nodes(project) + delivery
    else:
        outcome.detail = failure_line(err or out) or status
    return outcome


def run_spark(data: Path, work: Path, args: argparse.Namespace) -> Outcome:
    """The full project (as the full build) on local Spark, timed; then the same project
    built on DuckDB and every relation compared (bench/spark_parity.py), untimed."""
    from spark_parity import add_spark_target

    project = make_project(work / "project_spark", data, threads=args.threads, memory_limit=args.memory_limit,
                           spill=work / "spill_spark", suite="full", candidate_files=args.candidate_files,
                           baselines=args.baselines)
    local_dir = work / "spark_local"
    add_spark_target(project, args.spark_memory, local_dir)
    env = child_env(args.threads)
    subprocess.run(["evalhouse", "compile", "--project-dir", str(project), "-q"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(local_dir, ignore_errors=True)
    local_dir.mkdir(parents=True)
    measured = run_measured(["evalhouse", "build", "--target", "spark", "--project-dir", str(project), "-q"],
                            cap_gb=args.cap_gb, timeout_s=args.timeout, env=env, temp_dir=local_dir)
    outcome = Outcome("spark", measured.status, measured.wall, measured.peak_gb, measured.peak_temp_gb)
    if measured.status != "ok":
        outcome.detail = failure_line(measured.err or measured.out) or measured.status
        return outcome
    # the reference: the same project on DuckDB (report and MLflow off: they add no table)
    subprocess.run(["evalhouse", "log", "--project-dir", str(project), "-q"], check=False, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run(["evalhouse", "build", "--project-dir", str(project), "-q", "--no-report", "--no-mlflow"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    duck_s = time.perf_counter() - started
    compared = subprocess.run([sys.executable, str(BENCH / "spark_parity.py"), str(project),
                               "--export", str(work / "spark_export")], env=env, capture_output=True, text=True)
    if compared.returncode != 0:
        outcome.status, outcome.detail = "failed", "comparison: " + compared.stderr.strip().splitlines()[-1]
        return outcome
    result = json.loads(compared.stdout.strip().splitlines()[-1])
    outcome.means = result["means"]
    outcome.detail = (f"{result['relations']} relations, {result['values']:,} values compared with the DuckDB "
                      f"build ({duck_s:.0f}s) in {result['compare_s']:.0f}s; largest difference "
                      f"{_fmt(result['max_difference'], '.1e')} ({result['largest_in']})")
    if result["differing"]:
        outcome.status = "differs"
        outcome.detail += "; differ: " + " | ".join(result["differing"])
    return outcome


def run_contender(name: str, data: Path, args: argparse.Namespace) -> Outcome:
    command = [sys.executable, str(BENCH / "contenders.py"), name, str(data), "--k",
               ",".join(map(str, K_VALUES)), "--threads", str(args.threads)]
    measured = run_measured(command, cap_gb=args.cap_gb, timeout_s=args.timeout, env=child_env(args.threads))
    status, wall, out, err = measured.status, measured.wall, measured.out, measured.err
    outcome = Outcome(name, status, wall, measured.peak_gb)
    if status == "ok":
        result = json.loads(out.strip().splitlines()[-1])
        outcome.inputs_s, outcome.compute_s, outcome.means = result["inputs_s"], result["compute_s"], result["means"]
    elif status == "killed":
        outcome.detail = f"killed above {args.cap_gb:g} GB after {wall:.0f}s"
    elif status == "timeout":
        outcome.detail = f"stopped after {args.timeout:g}s"
    else:
        outcome.detail = failure_line(err or out) or "failed"
    return outcome


def warm_ranx(args: argparse.Namespace) -> None:
    """Compile ranx's numba kernels into their on-disk cache once (ranx caches them), so the
    timed run measures ranx as it runs on any machine that used it before."""
    tiny = Path(args.data) / "warmup"
    if not (tiny / "recs.parquet").exists():
        generate(300, tiny, seed=1)
    subprocess.run([sys.executable, str(BENCH / "contenders.py"), "ranx", str(tiny)], check=True,
                   env=child_env(args.threads), stdout=subprocess.DEVNULL)


# --- agreement and the table -----------------------------------------------------------


def check_agreement(outcomes: list[Outcome]) -> bool:
    # the ranking suite is the reference; without it (--contenders full), the full build
    reference = next((o for o in outcomes if o.contender == "evalhouse" and o.means), None) or \
        next((o for o in outcomes if o.contender == "evalhouse full build" and o.means), None)
    if reference is None:
        return False
    expected = {f"{m}@{k}" for m in SHARED_METRICS for k in K_VALUES}
    agree = set(reference.means) == expected
    for outcome in outcomes:
        if not outcome.means:
            continue
        shared = [key for key in expected if key in outcome.means and key in reference.means]
        missing = expected - set(outcome.means)
        outcome.max_diff = max((abs(outcome.means[key] - reference.means[key]) for key in shared), default=None)
        if missing or outcome.max_diff is None or outcome.max_diff > TOLERANCE:
            agree = False
            if missing:
                outcome.detail = (outcome.detail + f"; missing {sorted(missing)[:3]}").strip("; ")
    return agree


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def table(scale: int, outcomes: list[Outcome]) -> str:
    base = next((o.wall_s for o in outcomes if o.contender == "evalhouse" and o.status == "ok"), None)
    lines = [
        f"### {scale:,} users ({scale * 100:,} recommendations)",
        "",
        "| contender | status | wall s | inputs s | compute s | peak GB | peak temp GB | wall / evalhouse | max diff | runs (wall s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for o in outcomes:
        ratio = f"{o.wall_s / base:.1f}x" if base and o.wall_s and o.status == "ok" else ""
        status = o.status if o.status == "ok" else f"{o.status}: {o.detail}"
        lines.append(f"| {o.contender} | {status} | {_fmt(o.wall_s, '.2f')} | {_fmt(o.inputs_s, '.2f')} | "
                     f"{_fmt(o.compute_s, '.2f')} | {_fmt(o.peak_gb, '.2f')} | {_fmt(o.peak_temp_gb, '.2f')} | "
                     f"{ratio} | {_fmt(o.max_diff, '.1e')} | "
                     f"{', '.join(f'{w:.2f}' for w in o.walls)} |")
    notes = [f"- {o.contender}: {o.detail}" for o in outcomes if o.status == "ok" and o.detail]
    return "\n".join(lines + ([""] + notes if notes else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10k,100k,300k", help="users per scale: 10k,100k,300k,1M,10M")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="any of evalhouse, floor, pandas, ranx, pytrec_eval, beyond (ranking + beyond-accuracy), "
                             "full (the whole build; --suite full adds it), spark (the whole build on local Spark, "
                             "every table compared with the DuckDB build)")
    parser.add_argument("--data", default=str(BENCH / "data"), help="where the generated files are kept")
    parser.add_argument("--out", default=str(BENCH / "results"), help="JSON results, one file per scale")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for evalhouse, e.g. 6GB")
    parser.add_argument("--cap-gb", type=float, default=16.0, help="kill a contender above this resident memory")
    parser.add_argument("--timeout", type=float, default=1800.0, help="stop a contender after this many seconds")
    parser.add_argument("--libraries-up-to", type=parse_count, default=parse_count("1M"),
                        help="run ranx and pytrec_eval up to this many users (above, they are not started)")
    parser.add_argument("--suite", choices=["ranking", "full"], default="ranking",
                        help="full: also run `evalhouse build` of the whole demo project (every family, the "
                             "popular baseline, train, report and MLflow) beside the ranking suite")
    parser.add_argument("--max-temp", default=None,
                        help="DuckDB max_temp_directory_size for evalhouse with --memory-limit, e.g. 20GB: "
                             "a build that would spill more fails, saying so")
    parser.add_argument("--baselines", default="popular",
                        help="the baselines the full build adds (comma-separated, or none): popular by "
                             "default; none for one candidate alone (issue 14's 10M x 1 run)")
    parser.add_argument("--candidate-files", type=int, default=1,
                        help="candidate files evalhouse evaluates (the first is what the libraries score; "
                             "the others are generated beside it as recs_2.parquet, ...)")
    parser.add_argument("--spark-memory", default="8g", help="the Spark contender's driver heap (spark.driver.memory)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each contender this many times and keep its fastest run (all walls are kept)")
    args = parser.parse_args()

    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    if args.suite == "full" and "full" not in contenders:
        contenders.insert(1 if "evalhouse" in contenders else 0, "full")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(machine()))
    warmed = False
    for scale in [parse_count(s) for s in args.scales.split(",")]:
        data = Path(args.data) / f"{scale}"
        needs_train = bool({"beyond", "full", "spark"} & set(contenders))
        if not (data / "recs.parquet").exists() or (needs_train and not (data / "train.parquet").exists()):
            started = time.perf_counter()
            summary = generate(scale, data, with_train=needs_train)
            print(f"generated {summary['recs_rows']:,} recommendations for {scale:,} users "
                  f"({n_items_for(scale):,} items) in {time.perf_counter() - started:.0f}s", flush=True)
        for index in range(2, args.candidate_files + 1):
            if not candidate_path(data, index).exists():
                started = time.perf_counter()
                generate_candidate(scale, data, index)
                print(f"generated candidate {index} for {scale:,} users in {time.perf_counter() - started:.0f}s", flush=True)
        work = data / "work"
        work.mkdir(exist_ok=True)
        outcomes: list[Outcome] = []
        for name in contenders:
            if name in LIBRARIES and scale > args.libraries_up_to:
                outcomes.append(Outcome(name, "skipped", detail=f"not started above {args.libraries_up_to:,} users"))
                continue
            if name == "ranx" and not warmed:
                warm_ranx(args)
                warmed = True
            runs = []
            for _ in range(max(1, args.repeat)):
                if name == "evalhouse":
                    runs.append(run_evalhouse(data, work, args))
                elif name in ("beyond", "full"):
                    runs.append(run_evalhouse(data, work, args, suite=name))
                elif name == "spark":
                    runs.append(run_spark(data, work, args))
                else:
                    runs.append(run_contender(name, data, args))
                if runs[-1].status != "ok":
                    break
            outcome = min(runs, key=lambda o: (o.status != "ok", o.wall_s or 0.0))
            outcome.walls = [round(o.wall_s, 3) for o in runs if o.wall_s is not None]
            outcomes.append(outcome)
            print(f"  {name}: {outcome.status} {_fmt(outcome.wall_s, '.2f')}s peak {_fmt(outcome.peak_gb, '.2f')} GB "
                  f"temp {_fmt(outcome.peak_temp_gb, '.2f')} GB {outcome.detail}", flush=True)
        agree = check_agreement(outcomes)
        print()
        print(table(scale, outcomes))
        print(f"\nall contenders agree to {TOLERANCE:g}: {'yes' if agree else 'NO'}\n", flush=True)
        record = {"scale": scale, "machine": machine(), "agree": agree, "threads": args.threads,
                  "memory_limit": args.memory_limit, "cap_gb": args.cap_gb,
                  "outcomes": [asdict(o) for o in outcomes]}
        stamp = time.strftime("%Y%m%dT%H%M%S")
        (out_dir / f"{scale}-{stamp}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
