"""durable-rules and the plain-Python evaluator must agree; the durable engine leaves no residue."""

from __future__ import annotations

import json
import random
import shutil
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage import Triage
from triage.answerfile import load_answers
from triage.engines import make_engine
from triage.engines.durable import DurableEngine
from triage.samples import random_answers

from .conftest import EXAMPLES, SHIPPED, TESTS, examples, needs_durable
from .strategies import answer_sets


def _same(engines, answers):
    results = {name: t.evaluate(answers).to_dict() for name, t in engines.items()}
    for result in results.values():
        result.pop("engine")
    first, *others = results.values()
    for other in others:
        assert other == first, answers
    return first


@needs_durable
def test_engines_agree_on_examples(engines, shipped):
    examples = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))
    assert examples
    for path in examples:
        _same(engines, load_answers(shipped, str(path)))


@needs_durable
@examples(ci=100, thorough=400)
@given(data=st.data())
def test_engines_agree_on_generated_answer_sets(engines, shipped, data):
    answers = data.draw(answer_sets(shipped))
    _same(engines, answers)


@needs_durable
def test_engines_agree_on_the_mini_content(mini):
    both = {"python": Triage(mini, "python"), "durable": Triage(mini, "durable")}
    rng = random.Random(7)
    for _ in range(300):
        answers = {
            "feeling": rng.choice(["flicker", "locked", "repeat", "not_sure"]),
            "minutes": float(rng.randint(0, 90)),
            "alarms": rng.choice([["none"], ["breathing"], ["chest"], ["breathing", "chest"], "not_sure"]),
            "stretch_helps": rng.choice([True, False]),
        }
        for key in list(answers):
            if rng.random() < 0.2:
                del answers[key]
        _same(both, answers)


@needs_durable
def test_thousand_evaluations_start_no_threads_and_leave_no_facts(engines, shipped):
    durable = engines["durable"]
    assert isinstance(durable.engine, DurableEngine)
    rng = random.Random(1)
    before = threading.active_count()
    for _ in range(1000):
        answers = random_answers(shipped, rng)
        durable.evaluate(answers)
        assert durable.engine.stored_facts() == []
    assert threading.active_count() == before
    assert [t.name for t in threading.enumerate() if t.name.startswith("Thread-")] == []


def test_python_engine_is_used_when_asked(shipped):
    assert make_engine(shipped, "python").name == "python"


@pytest.fixture(scope="module")
def shipped_rules():
    """Every shipped rule as plain data, read once (parsing is most of a shuffle's cost)."""
    from triage.yamlsafe import load_yaml_file

    paths = sorted((SHIPPED / "rules").glob("*.yaml"))
    return [rule for path in paths for rule in json.loads(json.dumps(load_yaml_file(str(path))))["rules"]]


@examples(ci=4, thorough=15)  # each example loads a reshuffled copy of the shipped content
@given(data=st.data())
def test_result_does_not_depend_on_rule_file_or_rule_order(shipped, shipped_rules, tmp_path_factory, data):
    """Shuffle the rules across files and within them: every result stays the same."""
    import yaml

    from triage import load_content

    rules = shipped_rules
    folder = tmp_path_factory.mktemp("shuffled")
    # the content without its rule files (the rules folder stays, empty)
    shutil.copytree(SHIPPED, folder / "rules", ignore=lambda where, names: names if where == str(SHIPPED / "rules") else [])
    rule_dir = folder / "rules" / "rules"
    order = data.draw(st.permutations(range(len(rules))), label="rule order")
    files = data.draw(st.integers(1, 6), label="number of files")
    for n in range(files):
        chunk = [rules[i] for i in order[n::files]]
        (rule_dir / f"{n:02d}.yaml").write_text(yaml.safe_dump({"rules": chunk}, sort_keys=False))
    shuffled = Triage(load_content(folder / "rules"), "python")
    original = Triage(shipped, "python")
    rng = random.Random(data.draw(st.integers(0, 2**32), label="answers seed"))
    for _ in range(20):
        answers = random_answers(shipped, rng)
        assert shuffled.evaluate(answers).to_dict() == original.evaluate(answers).to_dict()


@needs_durable
def test_a_condition_durable_cannot_compile_is_a_located_error(runner, tmp_path):
    from triage.cli import cli

    from .conftest import MINI

    content = tmp_path / "rules"
    shutil.copytree(MINI, content, symlinks=False)
    branches = "\n".join(
        f"        - all: [{{question: minutes, at_least: {i}}}, {{question: minutes, at_most: {i + 1}}}]" for i in range(20)
    )
    (content / "rules" / "z.yaml").write_text(
        "rules:\n  - id: many-branches\n    when:\n      any:\n" + branches + "\n"
        "    then: {advice: [stretch]}\n    sources: [s0]\n"
    )
    result = runner.invoke(cli, ["rules", "validate", "--rules", str(content)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{content}/rules/z.yaml:2:1: error: rule 'many-branches': the durable engine cannot compile")
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: flicker\n")
    checked = runner.invoke(cli, ["check", str(answers), "--rules", str(content)], catch_exceptions=False)
    assert checked.exit_code == 2 and "Traceback" not in checked.stderr
    python = runner.invoke(cli, ["check", str(answers), "--rules", str(content), "--engine", "python"])
    assert python.exit_code == 0


@examples(ci=75, thorough=300)
@given(data=st.data())
def test_compiled_conditions_mean_what_the_reference_walker_means(shipped, data):
    from triage.answers import to_fact
    from triage.conditions import compile_condition, holds
    from triage.operators import flag_key

    answers = data.draw(answer_sets(shipped))
    fact = to_fact(Triage(shipped, "python").prepare(answers))
    for name in data.draw(st.sets(st.sampled_from(sorted({f for r in shipped.rules for f in r.flags})))):
        fact[flag_key(name)] = True
    for rule in shipped.rules:
        assert compile_condition(rule.when)(fact) == holds(rule.when, fact), rule.id


@needs_durable
def test_every_box_ticked_gets_a_result_from_durable_too(shipped, engines):
    """More conditions hold at once than durable-rules' matcher can follow (error 303): the
    durable engine takes back what it stored and gives that stage to the python engine."""
    everything = load_answers(shipped, str(TESTS / "answers" / "shipped" / "every-box-ticked.yaml"))
    durable = Triage(shipped, "durable")
    result = durable.evaluate(everything)
    assert result.to_dict() | {"engine": "python"} == engines["python"].evaluate(everything).to_dict()
    assert result.urgency == "emergency" and durable.engine.fell_back >= 1
    assert durable.engine.stored_facts() == []
    for path in EXAMPLES.iterdir():  # what it took back leaves nothing behind for the next answer set
        answers = load_answers(shipped, str(path))
        assert durable.evaluate(answers).to_dict() | {"engine": "python"} == engines["python"].evaluate(answers).to_dict()
