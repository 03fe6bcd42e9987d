"""Hostile input, faults and privacy: a clear one-line error, nothing lost, nothing leaked."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage import Triage, load_content
from triage.answerfile import dump_answers, load_answers
from triage.authoring.cases import load_cases
from triage.cli import cli
from triage.errors import InputError
from triage.samples import random_answers

from .conftest import MINI, SHIPPED, TESTS, examples
from .processes import HANG, read_until, started, stopped, wait_for
from .strategies import answer_sets

# --- hostile answer files --------------------------------------------------------------------

HOSTILE = {
    "alias-bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nfeeling: [*c, *c, *c, *c, *c, *c, *c]\n",
    "deep.yaml": "feeling: " + "[" * 20000 + "]" * 20000 + "\n",
    "deep.json": '{"feeling": ' + "[" * 20000 + "]" * 20000 + "}",
    "huge-number.yaml": "minutes: " + "9" * 50000 + "\n",
    "huge-number.json": '{"minutes": ' + "9" * 50000 + "}",
    "big-number.yaml": "minutes: " + "9" * 400 + "\n",
    "big-number.json": '{"minutes": ' + "9" * 400 + "}",
    "long-string.yaml": "feeling: " + "x" * 2_000_000 + "\n",
    "nan.json": '{"minutes": NaN}',
    "infinity.yaml": "minutes: .inf\n",
    "mapping-value.yaml": "feeling: {a: 1}\n",
    "list-of-lists.yaml": "alarms: [[none]]\n",
    "number-key.yaml": "1: flicker\n",
    "null-key.yaml": "~: flicker\n",
    "python-object.yaml": "feeling: !!python/object/new:os.system [echo pwned]\n",
    "control-chars.yaml": 'feeling: "\\e[31mred\\e[0m<script>alert(1)</script>"\n',
    "top-level-string.yaml": "just some text\n",
    "top-level-number.json": "42\n",
}


def run_cli(args, tmp_path, input_text=None):
    """The installed command in a subprocess with 1 GiB of memory and 15 s of CPU time each
    (CPU, not wall-clock time: a busy machine slows the run down but does not fail it)."""

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (15, 15))

    return subprocess.run(
        [sys.executable, "-m", "triage", *map(str, args)], input=input_text, capture_output=True,
        text=True, timeout=HANG, preexec_fn=limits, cwd=tmp_path, check=False,
    )


# Files that attack memory, time, the stack or the loader itself are read by a separate
# process with 1 GiB and 15 s; the rest are read in this process.
RESOURCE_ATTACKS = {"alias-bomb.yaml", "deep.yaml", "deep.json", "huge-number.yaml", "huge-number.json",
                    "long-string.yaml", "python-object.yaml"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answer_files_get_one_clear_line(runner, tmp_path, name):
    path = tmp_path / name
    path.write_text(HOSTILE[name])
    if name in RESOURCE_ATTACKS:
        done = run_cli(["check", path, "--rules", MINI], tmp_path)
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    else:
        result = runner.invoke(cli, ["check", str(path), "--rules", str(MINI)], catch_exceptions=False)
        code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    assert code == 2, stderr[-500:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:"), lines[:3]
    assert "Traceback" not in stderr and "\x1b" not in stderr
    assert len(lines[0]) < 400
    assert stdout == ""


def test_large_file_and_unreadable_things(runner, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("feeling: flicker\n" + "# padding\n" * 700_000)
    result = runner.invoke(cli, ["check", str(big), "--rules", str(MINI)], catch_exceptions=False)
    assert result.exit_code == 2 and "larger than 5 MiB" in result.stderr
    result = runner.invoke(cli, ["check", str(tmp_path), "--rules", str(MINI)], catch_exceptions=False)
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_unreadable_file(runner, tmp_path):
    if os.geteuid() != 0:
        path = tmp_path / "secret.yaml"
        path.write_text("feeling: flicker\n")
        path.chmod(0)
        expected = "permission denied"
    else:  # root reads any file; a read that fails in the kernel stands in for it
        path, expected = "/proc/self/mem", "cannot read the file"
    result = runner.invoke(cli, ["check", str(path), "--rules", str(MINI)], catch_exceptions=False)
    assert result.exit_code == 2 and expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_batch_goes_on_past_every_hostile_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in HOSTILE.items():
        (folder / name).write_text(text)
    (folder / "good.yaml").write_text("feeling: flicker\n")
    done = run_cli(["batch", folder, "--rules", MINI, "-j", "2"], tmp_path)
    assert done.returncode == 2
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == len(HOSTILE) + 1
    assert [o["source"].rsplit("/", 1)[1] for o in out if o["ok"]] == ["good.yaml"]
    assert "\x1b" not in done.stdout and "Traceback" not in done.stderr


# --- author templates -------------------------------------------------------------------------

TEMPLATE_ATTACKS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ headline.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{% include '../../../../etc/passwd' %}",
    "{% import 'os' as os %}",
    "{{ result.update({'urgency': 'self_care'}) }}",
]


@pytest.mark.parametrize("attack", TEMPLATE_ATTACKS)
def test_templates_cannot_reach_python_files_or_environment(tmp_path, runner, attack):
    content = tmp_path / "rules"
    shutil.copytree(MINI, content, symlinks=False)
    (content / "templates" / "result.text.j2").write_text("{{ headline }}\n" + attack + "\n")
    answers = tmp_path / "a.yaml"
    answers.write_text("feeling: flicker\n")
    result = runner.invoke(cli, ["check", str(answers), "--rules", str(content)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "root:" not in result.output and "uid=" not in result.output and "PATH" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(content / "templates" / "result.text.j2"))


# --- fuzzing the loaders ----------------------------------------------------------------------

@examples(ci=150, thorough=1500)
@given(data=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
        lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
), suffix=st.sampled_from([".yaml", ".json"]))
def test_fuzz_answer_file_loader(mini, tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"answers{suffix}"
    path.write_bytes(data)
    try:
        answers = load_answers(mini, str(path))
    except InputError as exc:
        assert exc.problems and all(str(path) == p.path for p in exc.problems)
        return
    Triage(mini, "python").evaluate(answers)


def _mutations(root):
    texts = {p.relative_to(root): p.read_text() for p in sorted(root.rglob("*.yaml"))}
    return st.tuples(st.sampled_from(sorted(texts, key=str)), st.integers(0, 10**6), st.sampled_from(
        ["", ":", "- ", "  ", "\t", "&a ", "*a", "!!python/object ", "[", "{", "'", "yes", "999999999999", "\n", "not_sure"]
    ), st.integers(0, 3)).map(lambda t: (t[0], texts[t[0]], t[1], t[2], t[3]))


def _load_mutated(root, tmp_path_factory, mutation):
    from triage.errors import ContentError

    relative, text, position, insert, cut = mutation
    folder = tmp_path_factory.mktemp("fuzzrules") / "rules"
    shutil.copytree(root, folder)
    at = position % (len(text) + 1)
    (folder / relative).write_text(text[:at] + insert + text[at + cut:])
    try:
        load_content(folder)
    except ContentError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path.startswith(str(folder)) and problem.line >= 1 and problem.column >= 1


@examples(ci=8, thorough=200)  # each example parses the whole shipped content (~0.4 s)
@given(mutation=_mutations(SHIPPED))
def test_fuzz_rule_loader(tmp_path_factory, mutation):
    _load_mutated(SHIPPED, tmp_path_factory, mutation)


@examples(ci=40, thorough=300)  # the same on the small content: the same loader, fifty times cheaper
@given(mutation=_mutations(MINI))
def test_fuzz_rule_loader_on_the_small_content(tmp_path_factory, mutation):
    _load_mutated(MINI, tmp_path_factory, mutation)


_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "not_sure", "late\n", "\ud800", "sid", "A-B", "https://example.org/a,b"]),
    st.lists(st.sampled_from([None, 1, "x", "flicker"]), max_size=3),
    st.dictionaries(st.sampled_from(["id", "question", "all", "flag", "equals", "x", "12"]),
                    st.sampled_from([None, 1, "x", "locked", [], {}]), max_size=3),
)


def _nodes(value, path=()):
    """Every place in parsed YAML: (path, value)."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _nodes(child, (*path, i))


@examples(ci=60, thorough=600)
@given(data=st.data())
def test_fuzz_rule_loader_with_odd_values_anywhere(tmp_path_factory, data):
    """Any value of any type, at any place of any content file (an entry that is a word, a
    number where a mapping goes, a key that is a number): a located problem or a load, never a
    crash."""
    import yaml

    from triage.errors import ContentError

    files = sorted(p.relative_to(MINI) for p in MINI.rglob("*.yaml"))  # the authors' cases too
    relative = data.draw(st.sampled_from(files))
    document = yaml.safe_load((MINI / relative).read_text())
    path, _ = data.draw(st.sampled_from(list(_nodes(document))[1:]))
    value = data.draw(_ODD_VALUES)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):  # the key itself goes odd
        parent[data.draw(st.sampled_from([12, True, "12", "Id"]))] = parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    folder = tmp_path_factory.mktemp("oddrules") / "rules"
    shutil.copytree(MINI, folder)
    (folder / relative).write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        content = load_content(folder)
    except ContentError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path.startswith(str(folder)) and problem.line >= 1 and problem.column >= 1
        return
    Triage(content, "python").evaluate({})  # what loads, runs
    for cases in sorted((folder / "tests").glob("*.yaml")):
        try:
            load_cases(content, cases)
        except InputError as exc:
            assert exc.problems and all(p.path == str(cases) and p.line >= 1 for p in exc.problems)


# --- round trips, faults, privacy -------------------------------------------------------------


@examples(ci=30, thorough=100)
@given(data=st.data())
def test_saved_yaml_answers_read_back_to_the_same_result(engines, shipped, tmp_path_factory, data):
    answers = data.draw(answer_sets(shipped))
    path = tmp_path_factory.mktemp("roundtrip") / "answers.yaml"
    path.write_text(dump_answers(shipped, engines["python"].prepare(answers)))
    again = load_answers(shipped, str(path))
    assert engines["python"].evaluate(again).to_dict() == engines["python"].evaluate(answers).to_dict()


def test_no_network_access_in_any_command(runner, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # The small content folder: what could reach out (a readability dictionary, a source's url,
    # a template) is exercised the same way, without the shipped content's slow lint.
    answers = TESTS / "answers" / "good" / "cramp-locked.yaml"
    commands = [  # each with the exit code it promises; answers.csv has one bad row (exit 2)
        (["check", answers, "--rules", MINI, "--format", "html"], 0),
        (["ask", "--rules", MINI], 0),
        (["batch", TESTS / "batch" / "answers.csv", "--rules", MINI, "-j", "1"], 2),
        (["rules", "validate", "--rules", MINI], 0), (["rules", "test", "--rules", MINI], 0),
        (["rules", "lint", "--rules", MINI, "--seeds", TESTS / "content" / "seeds"], 0),
        (["rules", "explain", answers, "--rules", MINI], 0),
        (["rules", "docs", "--rules", MINI, "-o", "-"], 0), (["questionnaire", "export", "--rules", MINI, "--fhir"], 0),
    ]
    for command, code in commands:
        result = runner.invoke(cli, [str(c) for c in command], input="1\n1\n3\n", catch_exceptions=False)
        assert result.exit_code == code, (command, result.output)
        assert result.output.strip(), command
        assert "network access attempted" not in result.output


def test_output_that_cannot_be_written_is_a_clear_error_and_no_partial_file(tmp_path):
    def tiny_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    source = tmp_path / "in.jsonl"
    source.write_text('{"feeling": "flicker"}\n' * 200)
    target = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "triage", "batch", str(source), "--rules", str(MINI), "-j", "1", "-o", str(target)],
        capture_output=True, text=True, timeout=HANG, preexec_fn=tiny_disk, check=False,
    )
    assert done.returncode == 2
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_saving_answers_somewhere_unwritable_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["ask", "--rules", str(MINI), "--save", "/proc/answers.yaml"], input="1\n")
    assert result.exit_code == 2
    assert "cannot save answers to /proc/answers.yaml" in result.stderr and "Traceback" not in result.stderr


def test_errors_do_not_repeat_the_whole_answer(runner, tmp_path):
    secret = "my private note about my health " * 5
    path = tmp_path / "a.yaml"
    path.write_text(f"feeling: {secret}\n")
    result = runner.invoke(cli, ["check", str(path), "--rules", str(MINI)])
    assert result.exit_code == 2
    assert secret not in result.stderr and "field 'feeling'" in result.stderr


def test_nothing_is_written_where_the_user_did_not_ask(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile reads TMPDIR again
    (tmp_path / "tmp").mkdir()
    example = sorted((TESTS.parent / "examples").glob("*.yaml"))[0]
    for args, code in ((["check", str(example)], 0),
                       (["batch", str(TESTS / "batch" / "answers.csv"), "--rules", str(MINI), "-j", "2"], 2)):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == code and result.stdout.strip(), (args, result.output)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["tmp"]


def test_the_interactive_engine_does_not_grow(engines, shipped):
    import random

    triage = engines.get("durable", engines["python"])
    rng = random.Random(5)
    answer_sets_ = [random_answers(shipped, rng) for _ in range(500)]

    def rss_kib() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

    for answers in answer_sets_ * 2:
        triage.evaluate(answers)
    before = rss_kib()
    for answers in answer_sets_ * 6:
        triage.evaluate(answers)
    assert rss_kib() - before < 4096, "3,000 more evaluations grew the process by 4 MiB or more"


# `triage ask` run with os.replace patched to stop the process (SIGSTOP) just before the
# Nth save puts its finished temporary file in place: the test kills it at exactly that moment.
PAUSED_SAVE = """
import os, runpy, signal, sys
real_replace, saves = os.replace, 0
def replace(src, dst):
    global saves
    saves += 1
    if saves == int(os.environ["PAUSE_AT_SAVE"]):
        os.kill(os.getpid(), signal.SIGSTOP)
    real_replace(src, dst)
os.replace = replace
sys.argv[0] = "triage"
runpy.run_module("triage", run_name="__main__", alter_sys=True)
"""


def test_killing_ask_while_it_saves_leaves_a_complete_file(mini, tmp_path):
    saved = tmp_path / "answers.yaml"
    saved.write_text("feeling: repeat\n")
    command = ["ask", "--rules", str(MINI), "--save", str(saved)]

    # Killed while it waits for the first answer: the earlier file is untouched.
    with started([sys.executable, "-m", "triage", *command],
                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        read_until(proc, "Your answer")
        proc.kill()
    assert saved.read_text() == "feeling: repeat\n"

    # Killed in the middle of the Nth save (the new file is complete but not yet in place):
    # the complete file from the save before stays.
    replies = ["2\n", "45\n", "3\n"]
    answers = [
        {"feeling": "locked"}, {"feeling": "locked", "minutes": 45}, {"feeling": "locked", "minutes": 45, "alarms": ["none"]}
    ]
    for n in range(1, len(replies) + 1):
        with started(
            [sys.executable, "-c", PAUSED_SAVE, *command], env={**os.environ, "PAUSE_AT_SAVE": str(n)},
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ) as proc:
            proc.stdin.write(("new\n" + "".join(replies[:n])).encode())  # start again, replacing the old file
            proc.stdin.close()  # no more answers: without the pause it would stop (exit 130) instead
            wait_for(lambda: proc.poll() is not None or stopped(proc.pid), f"save {n} to pause")
            assert proc.returncode is None, f"save {n} never reached os.replace: {proc.stderr.read()[-500:]!r}"
            pending = [p for p in tmp_path.iterdir() if p.name.startswith(".triage-")]
            assert len(pending) == 1, f"save {n} paused without one finished temporary file: {pending}"
            pending = pending[0]
            assert load_answers(mini, str(pending)) == answers[n - 1]
            old = answers[n - 2] if n > 1 else {"feeling": "repeat"}  # saves before the Nth went through
            assert load_answers(mini, str(saved)) == old
            proc.kill()
        assert load_answers(mini, str(saved)) == old  # a complete, valid file: the one before
        pending.unlink()  # a killed process cannot tidy up after itself


@pytest.mark.skipif(not os.path.exists("/proc/self/wchan"), reason="needs Linux /proc")
@pytest.mark.parametrize("command", [["check", "-"], ["batch", "-", "-j", "1"], ["batch", "-", "-j", "2"]])
def test_ctrl_c_exits_130_in_every_command_without_a_traceback(command):
    from .processes import HANG, ctrl_c_reaches_it, reading_a_pipe, started, wait_for

    with started([sys.executable, "-m", "triage", *command], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                 stderr=subprocess.PIPE, preexec_fn=ctrl_c_reaches_it) as proc:
        wait_for(lambda: proc.poll() is not None or reading_a_pipe(proc.pid), "the command waiting for its input")
        assert proc.returncode is None
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=HANG)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr.decode() and "Aborted" not in stderr.decode()
    assert "triage: stopped: interrupted" in stderr.decode()


@pytest.mark.parametrize(("args", "closed"), [
    (["check", "-"], "stdin"), (["ask"], "stdin"),
    (["check", "examples/eyelid-twitch-coffee.yaml"], "stdout"), (["batch", "examples/", "-f", "jsonl"], "stdout"),
])
def test_a_closed_standard_stream_is_one_line_and_exit_2(args, closed):
    """`triage check - <&-`, `triage ask <&-`, `triage batch ... >&-`: never a traceback or a false success."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stream = {"stdin": 0, "stdout": 1}[closed]

    def close_it() -> None:
        os.close(stream)

    done = subprocess.run([sys.executable, "-m", "triage", *args], cwd=root, capture_output=closed != "stdout",
                          stderr=subprocess.PIPE if closed == "stdout" else None, preexec_fn=close_it, timeout=120)
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr and f"standard {'input' if closed == 'stdin' else 'output'} is closed" in stderr


def _cpu_limited(seconds: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    return limit


@pytest.mark.parametrize("kind", ["json", "csv", "yaml"])
def test_many_keys_or_columns_are_linear_work_with_capped_errors(tmp_path, kind):
    """80,000 keys in a JSON file, 60,000 CSV columns, 100,000 unknown YAML keys: each used to take
    minutes (quadratic work). A CPU-time limit far above the linear cost bounds it; the error
    output lists at most 50 problems and counts the rest."""
    if kind == "json":
        path = tmp_path / "a.json"
        path.write_text(json.dumps({**{f"k{i}": i for i in range(80000)}, "feeling": "flicker"}))
        command = ["check", str(path)]
    elif kind == "csv":
        path = tmp_path / "a.csv"
        path.write_text(",".join(f"c{i}" for i in range(60000)) + "\n" + ",".join("x" for _ in range(60000)) + "\n")
        command = ["batch", str(path), "-j", "1", "-f", "jsonl"]
    else:
        path = tmp_path / "a.yaml"
        path.write_text("".join(f"k{i}: {i}\n" for i in range(100000)))
        command = ["check", str(path)]
    done = subprocess.run([sys.executable, "-m", "triage", *command, "--rules", str(MINI)], capture_output=True,
                          preexec_fn=_cpu_limited(40), timeout=600)
    assert done.returncode == 2, done.stderr.decode()[-300:]
    assert len(done.stderr.decode().splitlines()) <= 52
    if kind != "csv":
        assert "more problems like these" in done.stderr.decode()


def test_second_hostile_run_findings_stay_fixed(runner, tmp_path):
    """A text file given as answers is described, never quoted; --pattern cannot leave the
    folder; long FHIR ids and linkIds are cut; an id that is a mapping is not shown."""
    csv_as_yaml = tmp_path / "e.csv"
    csv_as_yaml.write_text("id,feeling\npatient-7-SECRET,locked\n")
    result = runner.invoke(cli, ["check", str(csv_as_yaml), "--rules", str(MINI)])
    assert result.exit_code == 2 and "got some words" in result.stderr and "SECRET" not in result.stderr
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.yaml").write_text("feeling: flicker\n")
    escape = runner.invoke(cli, ["batch", str(folder), "--pattern", "../../../../etc/host*", "--rules", str(MINI)])
    assert escape.exit_code == 2 and "must stay inside the folder" in escape.stderr and escape.stdout == ""
    response = tmp_path / "r.json"
    response.write_text(json.dumps({"resourceType": "QuestionnaireResponse", "id": "r" * 100000,
                                    "item": [{"linkId": "x" * 100000, "answer": "zz"}]}))
    fhir = runner.invoke(cli, ["batch", str(response), "--rules", str(MINI), "-j", "1", "-f", "jsonl"])
    assert len(fhir.stdout) < 2000, "no field of the error record is unbounded"
    mapping_id = tmp_path / "m.yaml"
    mapping_id.write_text("id: {a: SECRET}\nfeeling: flicker\n")
    out = runner.invoke(cli, ["batch", str(mapping_id), "--rules", str(MINI), "-j", "1", "-f", "jsonl"])
    assert "SECRET" not in out.stdout
