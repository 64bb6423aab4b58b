"""The plot of a benchmark run: python plot.py RESULTS.json OUT.png (needs matplotlib)."""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main() -> None:
    with open(sys.argv[1]) as f:
        r = json.load(f)
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    title = "wheelhook benchmarks" + (" (quick mode: smoke test)" if r["quick"] else "")
    m = r["machine"]
    fig.suptitle(f"{title}\n{m['nproc']} cores, {m['cpu']}, {m['python'].splitlines()[0]}")

    ax = axes[0][0]
    if "activation" in r:
        rows = r["activation"]["rows"]
        for peer in dict.fromkeys(x["peer"] for x in rows):
            pts = sorted((x["wheels"], x["added_ms"]["median"]) for x in rows if x["peer"] == peer)
            ax.plot([p[0] for p in pts], [max(p[1], 0.05) for p in pts], marker="o", label=peer)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("unrelated wheels in the store")
        ax.set_ylabel("ms added to start-up (median)")
        ax.set_title("1. activating 3 requirements")
        ax.legend()

    ax = axes[0][1]
    if "import" in r:
        rows = r["import"]["rows"]
        names = [x["peer"] for x in rows]
        ratios = [x["ratio"] for x in rows]
        colors = ["tab:orange" if n.startswith("wheelhook") else "tab:gray" for n in names]
        ax.barh(names, ratios, color=colors)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.invert_yaxis()
        ax.set_xlabel(f"import {r['module']} time / site-packages warm")
        ax.set_title(f"2-3. importing {r['module']}")
        for i, v in enumerate(ratios):
            ax.text(v, i, f" {v:.2f}", va="center")

    ax = axes[1][0]
    if "scaling" in r:
        rows = r["scaling"]["rows"]
        peers = [x["peer"] for x in rows]
        one = [x["one_ms"]["median"] for x in rows]
        many = [x["many_ms"]["median"] for x in rows]
        xs = range(len(peers))
        ax.bar([x - 0.2 for x in xs], one, width=0.4, label=f"{r['module']} alone")
        ax.bar([x + 0.2 for x in xs], many, width=0.4, label=f"+{r['scaling']['extra']} active")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(peers)
        ax.set_ylabel(f"import {r['module']}, ms (median)")
        ax.set_title("5. scaling with the active set")
        ax.legend()

    ax = axes[1][1]
    if "toll" in r:
        t = r["toll"]
        ax.bar(
            ["without wheelhook", "wheelhook, 50 active"],
            [t["without_ms"]["median"], t["with_ms"]["median"]],
            color=["tab:gray", "tab:orange"],
        )
        ax.set_ylabel("ms (median)")
        ax.set_title(
            f"4. importing {t['modules']} stdlib modules (ratio {t['ratio_of_medians']:.3f})"
        )
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
