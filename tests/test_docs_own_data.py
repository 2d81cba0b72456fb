"""docs/own-data.md cannot drift: its files, its project.yml keys and its commands are
built here as the page gives them, and every number the page quotes is checked."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from evalhouse import Project, RunOptions
from evalhouse.api.scaffold import init_project
from evalhouse.cli import main
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.tracking.payload import input_fingerprints

PAGE = Path(__file__).resolve().parent.parent / "docs" / "own-data.md"


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def markdown_table(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]


def test_the_own_data_page_builds_and_its_numbers_are_true(tmp_path):
    text = PAGE.read_text(encoding="utf-8")
    root = tmp_path / "my_eval"
    init_project(root, "blank")
    files = re.findall(r"in `(data/[\w.]+)`:\n\n```csv\n(.*?)```", text, re.S)
    assert [name for name, _ in files] == ["data/labels.csv", "data/train.csv", "data/items.csv",
                                           "data/two_tower.csv"]
    for name, content in files:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    keys = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section(text, "3. project.yml"), re.S).group(1))
    config = yaml.safe_load((root / "project.yml").read_text(encoding="utf-8"))
    config["vars"].update(keys["vars"])
    config["evaluation"] = keys["evaluation"]
    (root / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    step4 = section(text, "4. Check, then build")
    quoted_warning = re.search(r"\n    (warning: .*)\n", step4).group(1)
    checked = CliRunner().invoke(main, ["check", "--project-dir", str(root)])
    assert checked.exit_code == 0, checked.output
    assert quoted_warning in checked.output

    project = Project.load(root)
    result = project.build(RunOptions(report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results if not r.ok]
    board = project.query("select * from leaderboard")
    rows = {row[0]: dict(zip(board.columns, row, strict=True)) for row in board.rows}
    quoted = markdown_table(step4)
    assert [row["candidate"] for row in quoted] == [row[0] for row in board.rows]  # best first
    for row in quoted:
        for column, value in row.items():
            if column == "candidate":
                continue
            assert f"{float(rows[row['candidate']][column]):.4f}" == f"{float(value):.4f}", (row["candidate"], column)

    # MLflow tags every input file's content hash on the build's run
    with EvaluationTables.open(project) as tables:
        tags = input_fingerprints(tables)
    assert tags == {f"input.{role}.blake2b": hashlib.blake2b((root / f"data/{name}.csv").read_bytes()).hexdigest()
                    for role, name in (("labels", "labels"), ("train", "train"), ("items", "items"),
                                       ("candidate.two_tower", "two_tower"))}

    metrics = markdown_table(section(text, "5. Query"))
    assert metrics
    for row in metrics:
        value = project.query(f"select value from metrics where candidate = '{row['candidate']}' and metric = "
                              f"'{row['metric']}' and k = {int(row['k'])}").rows[0][0]
        assert f"{value:.4f}" == row["value"], row
