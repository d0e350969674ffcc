"""`planner scenario run|check`: what-if scenarios from a file."""

from __future__ import annotations

from pathlib import Path

import click

from planner.i18n import _

from planner.apps.cli._group import cli
from planner.apps._console import use_language
from planner.apps.cli._options import _guard, _progress, force_option, map_options


@cli.group()
def scenario() -> None:
    """What-if scenarios from a TOML/YAML file, compared side by side.

    See scenarios/wudaokou.toml for a commented example.
    """


@scenario.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Output folder [default: maps/<file name>/].")
@click.option("--per-scenario-maps/--no-per-scenario-maps", default=True, show_default=True,
              help="Also write one map per scenario.")
@map_options
@force_option
@click.pass_context
def scenario_run(ctx, file, out_dir, per_scenario_maps, self_contained, tiles, force) -> None:
    """Run every scenario in FILE; print and write the comparison, maps and a JSON report.

    Writes comparison.csv, comparison.md, report.json, map.html (each scenario a layer
    group) and one <scenario>.html per scenario. Networks and matrices are cached, so
    re-running after changing one variant takes seconds.
    """
    from planner.apps import scenario as scenario_stage
    from planner.data.network import load_network

    say = _progress(ctx)
    spec = scenario_stage.load(file)
    say(_("{n} scenarios in {file}").format(n=len(spec.scenarios), file=file))
    out_dir = out_dir or Path("maps") / Path(file).stem
    policy = _guard(scenario_stage.output_paths(spec, out_dir, per_scenario_maps),
                    scenario_stage.input_paths(spec), force)
    network = load_network(spec.scenarios[0].network)
    use_language(network)  # --lang, or the default for the first scenario's network
    result = scenario_stage.run(spec, progress=lambda m: say("  " + m))
    say(_("writing the comparison and maps"))
    with policy:
        written = scenario_stage.write_outputs(result, out_dir, network=network,
                                               per_scenario_maps=per_scenario_maps,
                                               self_contained=self_contained,
                                               tiles=tiles or ("osm",))
    click.echo("\n" + comparison_text(result.title, result.comparison()))
    click.echo("\n" + _("wrote {n} files to {folder}").format(n=len(written), folder=out_dir))


def comparison_text(title: str, table) -> str:
    """The comparison as a console table: one column per scenario, "n/a" explained below."""
    from planner.apps import _tables
    from planner.i18n import _, mode_name, service_name

    notes = [_("n/a / not compared, {scenario}: {why}").format(scenario=row.scenario,
                                                             why=row.not_compared)
             for row in table.itertuples() if getattr(row, "not_compared", "")]
    if "change_vs_baseline_pp" in table.columns:
        base = table.iloc[0]
        notes.insert(0, _("vs baseline: against '{scenario}' at its {minutes}-minute promise; "
                          "vs reference: against the scenario in 'compared with' (same "
                          "travel, no station edits), as on the map; full table in "
                          "comparison.csv/.md").format(scenario=base["scenario"],
                                                       minutes=f"{base['threshold_min']:g}"))
    table = table.copy()
    if "mode" in table.columns:
        table["mode"] = [mode_name(v) for v in table["mode"]]
    services = {c: _("{service} service (%)").format(service=service_name(c[:-2]))
                for c in table.columns if c.endswith("_%") and not c.startswith("covered_")}
    return _tables.render_transposed(table.rename(columns=services), key="scenario",
                                     title=title, notes=notes,
                                     rows=[services.get(c, c) for c in table.columns
                                           if c != "not_compared"],
                                     per_block=4)


@scenario.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def scenario_check(file) -> None:
    """Validate a scenario file without running it."""
    from planner.apps import scenario as scenario_stage

    from planner.apps._console import early_language

    spec = scenario_stage.load(file)
    early_language(spec.scenarios[0].network)
    click.echo(_("{file}: {n} scenarios OK: {names}").format(
        file=file, n=len(spec.scenarios), names=" | ".join(s.name for s in spec.scenarios)))

