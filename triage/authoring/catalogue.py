"""The rules catalogue (docs/rules.md): every question, rule, advice item and source in words.

`render_catalogue(content)` is a pure function of the loaded content: the same content
always gives the same Markdown, with no dates or absolute paths, so the committed
docs/rules.md can be compared with a fresh rendering (tests/test_catalogue.py).
`triage rules docs` writes it.

Conditions are written in plain words from the question texts and option labels, for
example: “Do you have any of these emergency signs right now?” (`alarm_now`) includes
“Trouble breathing”.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..conditions import flags_read, questions_read
from ..model import URGENCY_LEVELS, Content, Question, Rule
from ..questiontypes import question_type
from .describe import ConditionWords, md, number_text, quote

REGENERATE = "triage rules docs"


def _relative(content: Content, path: str) -> str:
    try:
        return Path(path).relative_to(content.root).as_posix()
    except ValueError:
        return Path(path).as_posix()


# --- the catalogue -------------------------------------------------------------------------


def _groups(content: Content) -> list[tuple[str, str, list[Rule]]]:
    """(heading, introduction, rules) from the most urgent level down, then the other kinds."""
    out = content.outcomes.for_region(None)
    groups = []
    for level in reversed(URGENCY_LEVELS):
        rules = [r for r in content.rules if r.urgency == level]
        label = out.urgency_labels.get(level, level)
        action = out.urgency_actions.get(level, "")
        groups.append((f"Urgency: {label} (`{level}`)", f"Rules that conclude this level. The user is told: {md(action)}", rules))
    groups.append((
        "Classification rules",
        "Rules that name a kind of muscle movement but set no urgency. Each one is a vote.",
        [r for r in content.rules if r.urgency is None and r.classification],
    ))
    groups.append((
        "Advice rules",
        "Rules that only pick advice.",
        [r for r in content.rules if r.urgency is None and not r.classification and r.advice],
    ))
    groups.append((
        "Flag rules",
        "Helper rules that only set flags for other rules to read.",
        [r for r in content.rules if r.urgency is None and not r.classification and not r.advice],
    ))
    return [(heading, intro, sorted(rules, key=lambda r: r.id)) for heading, intro, rules in groups]


def _source_names(content: Content, ids: tuple[str, ...]) -> str:
    names = []
    for sid in ids:
        source = content.sources.get(sid)
        names.append(f"{md(source.title)} (`{sid}`)" if source else f"`{sid}`")
    return "; ".join(names)


def _rule(content: Content, words: ConditionWords, rule: Rule) -> list[str]:
    title = f": {md(rule.title)}" if rule.title else ""
    out = [f"#### `{rule.id}`{title}", ""]
    if rule.red_flag:
        out += ["**Red flag**: a danger sign that needs help today or right away. Red-flag rules run first.", ""]
    out += [f"Defined at `{_relative(content, rule.path)}:{rule.line}`.", ""]
    out += words.block("**When**", rule.when) + [""]
    then = []
    if rule.urgency:
        label = content.outcomes.urgency_labels.get(rule.urgency, rule.urgency)
        then.append(f"- Urgency: {md(label)} (`{rule.urgency}`)")
    if rule.classification:
        label = content.outcomes.classification_labels.get(rule.classification, rule.classification)
        then.append(f"- Classification: {md(label)} (`{rule.classification}`)")
    if rule.reason:
        then.append(f"- Reason shown to the user: {quote(rule.reason)}")
    if rule.advice:
        items = [f"{quote(content.advice[a].title)} (`{a}`)" if a in content.advice else f"`{a}`" for a in rule.advice]
        then.append(f"- Advice: {', '.join(items)}")
    if rule.flags:
        then.append(f"- Sets flags: {', '.join(f'`{f}`' for f in rule.flags)}")
    out += ["**Then**", ""] + then + [""]
    read = sorted(flags_read(rule.when))
    if read:
        names = ", ".join(f"`{f}`" for f in read)
        out += [f"Reads {names}, so it runs after the rules that set it (see [Flags](#flags)).", ""]
    out += [f"**Sources:** {_source_names(content, rule.sources)}", ""]
    return out


def _question(content: Content, words: ConditionWords, number: int, q: Question, readers: list[str]) -> list[str]:
    out = [f"### {number}. `{q.id}`: {md(q.text)}", ""]
    out.append(f"- Type: {question_type(q.type).described} (`{q.type}`)")
    if q.help:
        out.append(f"- Help: {quote(q.help)}")
    if q.options:
        out.append("- Options:")
        for option in q.options:
            extra = " (cannot be picked with other options)" if option.exclusive else ""
            out.append(f"  - `{option.id}`: {md(option.label)}{extra}")
    if q.type == "number":
        whole = ", whole numbers only" if q.integer else ""
        out.append(f"- Unit: {md(q.unit)}; from {number_text(q.min)} to {number_text(q.max)}{whole}")
    out.append(f"- “Not sure” allowed: {'yes' if q.not_sure else 'no'}")
    if q.show_if is not None:
        text, parts = words.head(q.show_if)
        out.append(f"- Asked only when {text}")
        for part in parts:
            out.extend(words.lines(part, 1))
    else:
        out.append("- Asked: always")
    if q.alarm:
        out.append("- Alarm question: picking an option or answering yes is an alarm sign")
    if q.ordered:
        out.append("- Ordered: the answers go from mild to severe")
    if q.doctor_note:
        out.append(f"- For the doctor, listed as: {quote(q.doctor_note)}")
    out.append(f"- Read by rules: {', '.join(f'`{r}`' for r in readers) if readers else 'none'}")
    return out + [""]


def render_catalogue(content: Content) -> str:
    """The whole catalogue as Markdown. Pure and deterministic."""
    words = ConditionWords(content)
    readers: dict[str, list[str]] = {}
    setters: dict[str, list[str]] = {}
    flag_readers: dict[str, list[str]] = {}
    selectors: dict[str, list[str]] = {}
    citers: dict[str, list[tuple[str, str]]] = {}
    for rule in content.rules:  # sorted by id
        for qid in questions_read(rule.when):
            readers.setdefault(qid, []).append(rule.id)
        for name in rule.flags:
            setters.setdefault(name, []).append(rule.id)
        for name in flags_read(rule.when):
            flag_readers.setdefault(name, []).append(rule.id)
        for aid in rule.advice:
            selectors.setdefault(aid, []).append(rule.id)
        for sid in rule.sources:
            citers.setdefault(sid, []).append(("rule", rule.id))
    for item in sorted(content.advice.values(), key=lambda a: a.id):
        for sid in item.sources:
            citers.setdefault(sid, []).append(("advice", item.id))

    red_flags = sum(1 for r in content.rules if r.red_flag)
    out = [
        "# Rules catalogue",
        "",
        "<!-- Generated from the content folder by `triage rules docs`. Do not edit by hand: -->",
        "<!-- change the YAML files, then run `triage rules docs` again. -->",
        "",
        f"This catalogue lists the {len(content.questions)} questions, {len(content.rules)} rules "
        f"({red_flags} red flags), {len(content.advice)} advice items and {len(content.sources)} sources "
        "of the content, in plain words. It is made from the YAML files by `triage rules docs`; "
        "a test fails when it is out of date.",
        "",
        "- [Questions](#questions)",
        "- [How the result is decided](#how-the-result-is-decided)",
        "- [Rules](#rules)",
        "- [Flags](#flags)",
        "- [Advice](#advice)",
        "- [Sources](#sources)",
        "",
        "## Questions",
        "",
        "In the order they are asked.",
        "",
    ]
    for number, q in enumerate(content.questions, 1):
        out += _question(content, words, number, q, sorted(readers.get(q.id, [])))

    fallback = content.outcomes.fallback_urgency
    out += [
        "## How the result is decided",
        "",
        "- **Urgency**: the most urgent level among all rules that fired wins; nothing can lower it.",
        f"  When no rule gives an urgency, it is {md(content.outcomes.urgency_labels.get(fallback, fallback))} (`{fallback}`):",
        f"  {quote(content.outcomes.fallback_reason)}",
        "- **Classification**: the kind named by the most fired rules wins. A tie, or no rule, gives `unclear`.",
        "- **Advice**: every advice item picked by a fired rule, in the order of advice.yaml.",
        "- A comparison is false when its question was not answered or was answered “Not sure”,",
        "  unless it says otherwise.",
        "",
        "| Level | Label | What the user is told |",
        "|---|---|---|",
    ]
    for level in reversed(URGENCY_LEVELS):
        label = content.outcomes.urgency_labels.get(level, "")
        action = content.outcomes.for_region(None).urgency_actions.get(level, "")
        out.append(f"| `{level}` | {md(label)} | {md(action)} |")
    out += ["", "## Rules", "", "Grouped by what they conclude, most urgent first; by id within a group.", ""]
    for heading, intro, rules in _groups(content):
        out += [f"### {heading}", "", intro, ""]
        if not rules:
            out += ["No rules.", ""]
        for rule in rules:
            out += _rule(content, words, rule)

    out += ["## Flags", "", "Facts that a rule sets and later rules read with `flag:`.", ""]
    if not setters:
        out += ["No flags.", ""]
    for name in sorted(setters):
        set_by = ", ".join(f"`{r}`" for r in sorted(setters[name]))
        read_by = ", ".join(f"`{r}`" for r in sorted(flag_readers.get(name, []))) or "no rule"
        out += [f"- `{name}`: set by {set_by}; read by {read_by}"]
    out += [""]

    out += ["## Advice", "", "In the order they are shown to the user.", ""]
    for item in content.advice.values():
        picked = ", ".join(f"`{r}`" for r in sorted(selectors.get(item.id, []))) or "no rule"
        out += [
            f"### `{item.id}`: {md(item.title)}",
            "",
            md(item.text),
            "",
            f"- Picked by: {picked}",
            f"- Sources: {_source_names(content, item.sources)}",
            "",
        ]

    out += ["## Sources", "", "By id.", ""]
    for sid in sorted(content.sources):
        source = content.sources[sid]
        where = f"file `{source.file}`" if source.file else f"<{source.url}>"
        cited = ", ".join(f"{kind} `{cid}`" for kind, cid in sorted(citers.get(sid, []))) or "nothing"
        out += [f"- `{sid}`: {md(source.title)} – {where}", f"  - Cited by: {cited}"]
    return "\n".join(out).rstrip("\n") + "\n"


def write_catalogue(content: Content, path: str | os.PathLike) -> Path:
    """Write the catalogue to `path` (UTF-8, Unix line ends) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        f.write(render_catalogue(content))
    return target
