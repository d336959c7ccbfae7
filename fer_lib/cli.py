"""The `fer` command: data check, train, list, plan, runs migrate, bench, cost, predict, publish, book run, book build."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data.base import DatasetError, data_root
from .store.runlock import RunLocked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fer", description="fer-book: reproduce five FER papers.")
    sub = parser.add_subparsers(dest="command", required=True)

    data_p = sub.add_parser("data", help="inspect datasets")
    data_sub = data_p.add_subparsers(dest="data_command", required=True)
    check = data_sub.add_parser("check", help="table of datasets found under the data root, with official counts")
    check.add_argument("--data-root", help="folder holding the datasets (default: $FER_DATA, else data/)")

    train = sub.add_parser("train", help="train one paper's experiment into the run store")
    train.add_argument("paper", help="paper id, e.g. 002")
    train.add_argument("variant", nargs="*", help="experiment variant(s) (default: all of the paper's); "
                       "a k-fold variant trains each of its folds")
    train.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "paper"])
    train.add_argument("--data-root")
    train.add_argument("--runs-root", help="run store folder (default: $FER_RUNS, else runs/)")
    train.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    train.add_argument("--force", action="store_true", help="retrain even when a finished run exists")
    train.add_argument("--epochs", type=int, nargs="+", metavar="E",
                       help="train at these epoch budgets, each its own run (a budget curve), with the "
                            "schedule compressed to each; default: the profile's budget")
    train.add_argument("--fold", type=int, metavar="K", help="only fold K (from 0) of a k-fold variant")
    train.add_argument("--seed", type=int, nargs="+", metavar="S",
                       help="train with these training seeds, each its own run (the spread over seeds); seed 0 "
                            "is every experiment's own. A seeded run also records its test accuracy every epoch")
    train.add_argument("--follow-ups", action="store_true",
                       help="cmp only: after the variants, train what the comparison chapter adds: seeds 1-2 of "
                            "the best two models by PublicTest, the pushed recipe of the best and its ingredient "
                            "ablation, then the second budget (12 epochs for cpu) of every model estimated at "
                            "most 60 minutes")
    train.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="train the runs in N worker processes (round robin over the GPUs, or the CPU "
                            "cores split between them); a failed run does not stop the others. Under "
                            "torchrun, leave it at 1: the ranks share each run instead")

    listing = sub.add_parser("list", help="the experiments the book defines, one per line with its title")
    listing.add_argument("paper", nargs="?", help="only this paper's (000-004, cmp)")

    plan = sub.add_parser("plan", help="the runs a profile still needs, one `fer train` command per line "
                          "with its estimated cost (for a cluster scheduler); totals on stderr")
    plan.add_argument("chapters", nargs="*", help="chapter names (default: every chapter that trains)")
    plan.add_argument("--profile", default="paper", choices=["smoke", "cpu", "paper"])
    plan.add_argument("--runs-root", help="run store folder (default: $FER_RUNS, else runs/)")

    runs_p = sub.add_parser("runs", help="maintain the run store")
    runs_sub = runs_p.add_subparsers(dest="runs_command", required=True)
    migrate = runs_sub.add_parser("migrate", help="convert committed records to the current format: configs "
                                  "lacking newer fields, shared splits, compressed predictions")
    migrate.add_argument("--runs-root", help="run store folder (default: $FER_RUNS, else runs/)")

    bench = sub.add_parser("bench", help="model step img/s on synthetic tensors vs the Trainer on real data; "
                           "`fer bench predict`: `fer predict`'s speed vs the bare model's inference")
    bench.add_argument("model", help="a registered model, or `predict` for the published model's prediction path")
    bench.add_argument("--faces", action="store_true", help="predict only: also compare the face detectors on "
                       "JAFFE's full-frame photographs (faces found, accuracy, ms per image)")
    bench.add_argument("--published", default=None, help="predict only: the published model (default: "
                       "fer2013-pushed)")
    bench.add_argument("--batch-size", type=int, default=64)
    bench.add_argument("--images", type=int, default=2048, help="real images per timed Trainer epoch")
    bench.add_argument("--data-root")
    bench.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")

    cost = sub.add_parser("cost", help="parameters, FLOPs and inference img/s of the comparison's models, "
                          "stored as a run record (run it on a quiet machine)")
    cost.add_argument("variant", nargs="*", help="comparison variants (default: all)")
    cost.add_argument("--runs-root", help="run store folder (default: $FER_RUNS, else runs/)")
    cost.add_argument("--seconds", type=float, default=3.0, help="timing length per model and batch size")

    predict = sub.add_parser("predict", help="find the faces in images and videos and print each face's expression "
                             "probabilities from a published model")
    predict.add_argument("images", nargs="+", metavar="INPUT", help="image or video files, folders (searched "
                         "recursively) or glob patterns; each face found is read as a 48x48 grey crop")
    predict.add_argument("--model", default=None, help="published model name (default: fer2013-pushed)")
    predict.add_argument("--no-detect", action="store_true", help="read each whole image as one face (centre "
                         "square, 48x48 grey), for images that already are cropped faces")
    predict.add_argument("--detector", default="haar-default", choices=["haar-default", "haar-alt", "haar-alt2"],
                         help="OpenCV Haar cascade (shipped in its wheel); see the README for how they compare")
    predict.add_argument("--every", type=float, default=1.0, metavar="SECONDS",
                         help="sample a video every SECONDS (default 1)")
    predict.add_argument("--format", default="table", choices=["table", "csv", "json"])
    predict.add_argument("--annotate", metavar="DIR", help="write each image (and sampled video frame) with its "
                         "faces boxed and labelled into DIR, as PNG")
    predict.add_argument("--fp32", action="store_true", help="run in float32 even where the model's run trained "
                         "in bf16 (slower; probabilities agree within 0.02)")

    publish = sub.add_parser("publish", help="publish a finished run's weights in the repository (at most 10 MB, "
                             "with sha256 and the run it came from), for `fer predict` and models.published.load")
    publish.add_argument("run_dir", help="the run's folder, runs/<experiment>/<config hash>")
    publish.add_argument("--name", required=True, help="the name it is loaded by, e.g. fer2013-pushed")

    book = sub.add_parser("book", help="execute chapters and build the HTML book")
    book_sub = book.add_subparsers(dest="book_command", required=True)
    run = book_sub.add_parser("run", help="execute chapter notebooks with papermill")
    run.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    run.add_argument("--profile", default="cpu", choices=["smoke", "cpu", "paper"])
    run.add_argument("--data-root")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    run.add_argument("--runs-root", help="run store folder (default: $FER_RUNS, else runs/)")
    run.add_argument("--output-dir", help="write executed notebooks here instead of back into book/")
    run.add_argument("--stale-only", action="store_true", help="skip chapters already executed with this profile")
    run.add_argument("--jobs", type=int, metavar="N", help="first train every run of these chapters in N worker "
                     "processes (see `fer train --jobs`), then execute the chapters on the finished runs only")
    build = book_sub.add_parser("build", help="jupyter-book HTML into _build/html")
    build.add_argument("--strict", action="store_true", help="fail on warnings")

    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RunLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


def _dispatch(args) -> int:
    from .store.results import RunStore
    store = RunStore(getattr(args, "runs_root", None))  # the one store every command below reads and writes
    if args.command == "data":
        from .data.check import broken, check_all, format_table
        root = data_root(args.data_root)
        print(f"data root: {root.resolve()}")
        rows = check_all(root)
        print(format_table(rows))
        if broken(rows):  # missing datasets are fine (the book skips them); broken ones are an error
            print(f"error: {', '.join(broken(rows))} present but broken: see the notes above", file=sys.stderr)
            return 1
        return 0
    if args.command == "train":
        from .train import distributed, jobs, runner
        from . import experiments
        if args.paper not in experiments.EXPERIMENTS:
            raise ValueError(f"no experiments for paper {args.paper!r}; have {sorted(experiments.EXPERIMENTS)}")
        todo = jobs.jobs_for(args.paper, args.variant or experiments.EXPERIMENTS[args.paper][1], args.profile,
                             args.epochs, args.fold, args.seed)
        if args.jobs > 1:
            if distributed.launched():
                raise ValueError("--jobs runs separate runs in parallel; under torchrun the ranks already share "
                                 "each run, so leave --jobs at 1")
            outcomes = jobs.run_jobs(todo, args.jobs, args.data_root, store=store, force=args.force, device=args.device)
            print(jobs.format_results(outcomes))
            return 0 if all(o.status != "failed" for o in outcomes) else 1
        device = distributed.init(args.device)  # joins torchrun's process group when launched by it
        stages = [lambda: todo]
        if args.follow_ups:
            if args.paper != "cmp":
                raise ValueError("--follow-ups belongs to the comparison: fer train cmp --follow-ups")
            from .judge import comparison  # each stage ranks the models again, on the runs the one before finished
            stages += [lambda: jobs.jobs_for("cmp", comparison.seed_variants(args.profile, store=store, extra_seeds=2,
                                                                              variants=args.variant or None), args.profile),
                       lambda: jobs.jobs_for("cmp", comparison.push_variant(args.profile, store=store,
                                                                            variants=args.variant or None), args.profile),
                       lambda: jobs.jobs_for("cmp", comparison.ingredient_variants(args.profile, store=store,
                                                                                   variants=args.variant or None), args.profile),
                       lambda: jobs.jobs_for("cmp", comparison.long_budget_variants(args.profile, store=store,
                                                                                    variants=args.variant or None),
                                             args.profile, [comparison.long_budget(args.profile)])]
        for stage in stages:
            for job in stage():
                record = runner.run(job.experiment, args.data_root, store=store, force=args.force, device=device)
                if distributed.is_main():
                    print(record.summary())
        return 0
    if args.command == "list":
        from . import experiments
        if args.paper and args.paper not in experiments.EXPERIMENTS:
            raise ValueError(f"no experiments for paper {args.paper!r}; have {sorted(experiments.EXPERIMENTS)}")
        for name, title in experiments.names().items():
            if not args.paper or name.startswith(f"{args.paper}-"):
                print(f"{name:<34} {title}")
        return 0
    if args.command == "plan":
        from . import book
        from .train import plan
        lines, total = plan.format_plan(book.chapter_jobs(args.chapters, args.profile, store=store),
                                        store=store)
        print("\n".join(lines))
        print(total, file=sys.stderr)  # stdout stays one command per line, for a scheduler to consume
        return 0
    if args.command == "runs":
        from .store.migrations import compact, complete_provenance, fill_data_schema
        moved = fill_data_schema(store=store)
        for old, new in moved:
            print(f"config schema: {old} -> {new}")
        counts = compact(store=store)
        completed = complete_provenance(store=store)
        for folder in completed:
            print(f"provenance completed: {folder}")
        print(f"{len(moved)} configs migrated; {counts['splits']} split lists moved to the shared store; "
              f"{counts['predictions']} prediction tables compressed; {len(completed)} provenances completed")
        return 0
    if args.command == "bench" and args.model == "predict":
        from .predict.bench import detector_table, speed_report
        print(speed_report(args.published))
        if args.faces:
            print(detector_table(args.data_root, name=args.published).to_string(index=False))
        return 0
    if args.command == "bench":
        from .train.bench import bench
        bf16 = {"auto": None, "on": True, "off": False}[args.bf16]
        print(bench(args.model, args.batch_size, args.images, args.data_root, bf16))
        return 0
    if args.command == "cost":
        from .train.cost import measure_comparison
        record = measure_comparison(args.variant, store=store, seconds=args.seconds)
        print(f"cost table written to {record.path}")
        return 0
    if args.command == "predict":
        return _predict(args)
    if args.command == "publish":
        from .models import published
        from .store.results import RunRecord
        try:
            entry = published.publish(RunRecord(Path(args.run_dir)), args.name)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"published {entry.name}: {published.PUBLISHED_DIR / entry.file} ({entry.bytes / 2**20:.1f} MB, "
              f"sha256 {entry.sha256[:16]}...) from run {entry.run}; commit both files")
        return 0
    if args.command == "book":
        from . import book
        if args.book_command == "run":
            parameters = dict(args.parameter)
            if args.jobs:
                from .train import jobs
                todo = book.chapter_jobs(args.chapters, args.profile, store=store)
                outcomes = jobs.run_jobs(todo, args.jobs, args.data_root, store=store)
                if "comparison" in (args.chapters or book.CHAPTERS):  # its follow-ups need the first ranking
                    more = [j for j in book.chapter_jobs(["comparison"], args.profile, store=store) if j not in todo]
                    outcomes += jobs.run_jobs(more, args.jobs, args.data_root, store=store) if more else []
                print(jobs.format_results(outcomes))
                parameters["train"] = "false"  # the chapters read the finished runs and train nothing
            results = book.run_chapters(args.chapters, args.profile, data_root=args.data_root, parameters=parameters,
                                        output_dir=args.output_dir, stale_only=args.stale_only, store=store)
            print(book.format_results(results))
            return 0 if all(r.status != "failed" for r in results) else 1
        return book.build(strict=args.strict)
    raise AssertionError(args.command)


def _predict(args) -> int:
    """`fer predict`: exit 0 when every input gave a prediction, 1 when any input failed or had no face (the
    others are still predicted), 2 when the model cannot be loaded."""
    from tqdm.auto import tqdm

    from .models import published
    from .predict import Predictor, expand, is_video, predict
    from .predict.output import annotate, header, render
    try:
        predictor = Predictor(args.model or published.DEFAULT, precision="fp32" if args.fp32 else "auto")
    except (OSError, ValueError) as exc:  # a missing or altered weights file: one line naming the file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files, errors = expand(args.images)
    long = len(files) > 200 or any(is_video(f) for f in files)
    # on a terminal only (disable=None), so piped CSV / JSON and logs stay clean
    progress = (lambda frames: tqdm(frames, desc="frames", unit="frame", file=sys.stderr, disable=None)) if long else None
    result = predict(files, predictor, detect=not args.no_detect, detector=args.detector, every=args.every,
                     keep_frames=bool(args.annotate), progress=progress)
    for line in errors + result.errors:
        print(f"error: {line}", file=sys.stderr)
    if args.format == "table":
        print(header(predictor.entry, detect=not args.no_detect))
    if len(result.rows):
        print(render(result.rows, args.format, predictor.entry.classes))
    if args.annotate:
        for frame, boxes, labels in result.frames:
            annotate(frame, boxes, labels, Path(args.annotate))
    return 1 if errors or result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
