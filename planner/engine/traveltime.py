"""Travel-time engine: a compact CSR graph with the points inserted, and bounded Dijkstra on it.

Every snapped point (station, demand place, candidate site) becomes two nodes: a *snap node*
that splits its street segment at the exact position, and a *door node* joined to it by the
access leg (walked). Travel times are therefore exact for points anywhere along a street,
including two points on the same segment, and respect one-way streets.

All times are *to* the given sources ("how long from this place to the nearest station"):
Dijkstra runs on the reversed graph.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from planner.data.layers import Snapped
from planner.data.network import StreetGraph
from planner.engine._contract import contract
from planner.engine._csr import _csr_min, quantize

__all__ = ["TravelGraph", "build", "time_to_nearest", "times_to_each", "iter_times_to"]

#: Memory budget (bytes) of one chunk of the dense rows Dijkstra returns.
CHUNK_BYTES = 64 * 2**20
#: Graphs with at least this many nodes search a local subgraph per chunk of sources.
SUBGRAPH_MIN_NODES = 50_000
#: ``times_to_each`` searches a chain-contracted graph from this many sources on: the
#: contraction (one pass over the graph) pays for itself over many searches, not a few
#: (Heidelberg: 50 stations x 200,000 places 1.5 s slower contracted, 5,000 x 5,000 e-bike
#: 19 s -> 3.5 s).
CONTRACT_MIN_SOURCES = 200
#: Arcs of zero length (a point exactly at a node) cost at least this many seconds, so that
#: sparse matrix arithmetic never drops them as zeros (arc times are whole multiples of
#: :data:`~planner.engine._csr.QUANTUM_S`, which is about this).
MIN_ARC_S = 1e-9


@dataclass(frozen=True, eq=False)
class TravelGraph:
    """A street graph with points inserted, ready for Dijkstra.

    Attributes
    ----------
    street
        The mode's :class:`~planner.data.network.StreetGraph`.
    csr_to
        Reversed arcs (``csr_to[b, a]`` = seconds to go from a to b): Dijkstra from a set of
        destinations gives every node's time *to* them.
    piece_a, piece_b, piece_seg, piece_t0, piece_t1, piece_ab_s, piece_ba_s
        The street segments after splitting at the snap nodes: end nodes, the street segment
        they come from and the fractions of it they span, and seconds in each direction
        (``inf`` where not allowed). Used to cut isochrones along the streets.
    node_x, node_y
        Coordinates of street and snap nodes (door nodes sit at their points).
    doors
        For each point group (``"stations"``, ``"demand"``...), the door node of every point,
        -1 for points that are off-network.
    door_x, door_y
        Where the door nodes are (the points themselves), in door-node order: door node
        ``street.n_nodes + p + i`` is at ``door_x[i]``, joined to snap node
        ``street.n_nodes + i`` by its access leg.
    """

    street: StreetGraph
    csr_to: csr_matrix
    piece_a: np.ndarray
    piece_b: np.ndarray
    piece_seg: np.ndarray
    piece_t0: np.ndarray
    piece_t1: np.ndarray
    piece_ab_s: np.ndarray
    piece_ba_s: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    doors: Mapping[str, np.ndarray]
    door_x: np.ndarray
    door_y: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.csr_to.shape[0])

    def door(self, group: str) -> np.ndarray:
        return self.doors[group]


def build(street: StreetGraph, points: Mapping[str, Snapped]) -> TravelGraph:
    """Insert the snapped point groups into the street graph and build the reversed CSR."""
    n = street.n_nodes
    names = list(points)
    snapped = [points[name] for name in names]
    sizes = [len(s) for s in snapped]
    seg = np.concatenate([s.segment for s in snapped]) if snapped else np.empty(0, np.int64)
    frac = np.concatenate([s.fraction for s in snapped]) if snapped else np.empty(0)
    offset = np.concatenate([s.offset_m for s in snapped]) if snapped else np.empty(0)

    on = np.flatnonzero(seg >= 0)
    p = on.size
    snap_node = n + np.arange(p)
    door_node = n + p + np.arange(p)
    doors_all = np.full(seg.size, -1, dtype=np.int64)
    doors_all[on] = door_node
    pieces = _split(street, seg[on], frac[on], snap_node)
    piece_seg, piece_a, piece_b, piece_t0, piece_t1, piece_ab, piece_ba, n_whole = pieces

    access_s = offset[on] / street.travel.access_ms
    total = n + 2 * p
    # The street arcs stay as they are (cached per street graph); the chains through the
    # snap nodes and the access legs are added beside them. A split segment keeps its
    # whole arc too: it equals the chain's sum, so no path changes.
    chain = piece_seg.size - n_whole
    extra_ab, extra_ba = piece_ab[n_whole:], piece_ba[n_whole:]
    extra_a, extra_b = piece_a[n_whole:], piece_b[n_whole:]
    fwd = np.isfinite(extra_ab)
    bwd = np.isfinite(extra_ba)
    # Forward arcs x -> y with weight w, stored reversed (row y, column x).
    rows = np.concatenate([extra_b[fwd], extra_a[bwd], snap_node, door_node])
    cols = np.concatenate([extra_a[fwd], extra_b[bwd], door_node, snap_node])
    weights = np.concatenate([extra_ab[fwd], extra_ba[bwd], access_s, access_s])
    extra = _csr_min(rows, cols, quantize(weights), total)
    csr_to = _street_csr(street, total) + extra if chain or p else _street_csr(street, total)

    xy_snap_x = street.node_x[street.seg_u[seg[on]]] + frac[on] * (
        street.node_x[street.seg_v[seg[on]]] - street.node_x[street.seg_u[seg[on]]])
    xy_snap_y = street.node_y[street.seg_u[seg[on]]] + frac[on] * (
        street.node_y[street.seg_v[seg[on]]] - street.node_y[street.seg_u[seg[on]]])
    door_x, door_y = xy_snap_x.copy(), xy_snap_y.copy()
    if all(s.x is not None for s in snapped) and snapped:
        door_x = np.concatenate([s.x for s in snapped])[on]
        door_y = np.concatenate([s.y for s in snapped])[on]
    starts = np.cumsum([0] + sizes)
    doors = {name: doors_all[starts[k]:starts[k + 1]] for k, name in enumerate(names)}
    return TravelGraph(
        street=street, csr_to=csr_to, piece_a=piece_a, piece_b=piece_b, piece_seg=piece_seg,
        piece_t0=piece_t0, piece_t1=piece_t1, piece_ab_s=piece_ab, piece_ba_s=piece_ba,
        node_x=np.concatenate([street.node_x, xy_snap_x]),
        node_y=np.concatenate([street.node_y, xy_snap_y]),
        doors=doors, door_x=door_x, door_y=door_y,
    )


def _split(street: StreetGraph, seg: np.ndarray, frac: np.ndarray, snap_node: np.ndarray):
    """Street segments split at the snap nodes: chain a -> p1 -> p2 ... -> b along each.

    Returns ``(segment, a, b, t0, t1, ab_s, ba_s, n_whole)`` per piece; the first
    ``n_whole`` pieces are the segments no point split.
    """
    p = seg.size
    order = np.lexsort((frac, seg))
    s_seg = seg[order]
    s_frac = frac[order]
    s_node = snap_node[order]
    first = np.ones(p, dtype=bool)
    first[1:] = s_seg[1:] != s_seg[:-1]
    last = np.ones(p, dtype=bool)
    last[:-1] = s_seg[1:] != s_seg[:-1]
    prev_node = np.where(first, street.seg_u[s_seg], np.roll(s_node, 1))
    prev_frac = np.where(first, 0.0, np.roll(s_frac, 1))

    untouched = np.ones(street.n_segments, dtype=bool)
    untouched[s_seg] = False
    whole = np.flatnonzero(untouched)
    last_seg = s_seg[last]
    piece_seg = np.concatenate([whole, s_seg, last_seg])
    piece_a = np.concatenate([street.seg_u[whole], prev_node, s_node[last]]).astype(np.int64)
    piece_b = np.concatenate([street.seg_v[whole], s_node, street.seg_v[last_seg]]).astype(
        np.int64)
    piece_t0 = np.concatenate([np.zeros(whole.size), prev_frac, s_frac[last]])
    piece_t1 = np.concatenate([np.ones(whole.size), s_frac, np.ones(last_seg.size)])
    share = piece_t1 - piece_t0
    fwd_s = street.seg_fwd_s[piece_seg]
    bwd_s = street.seg_bwd_s[piece_seg]
    with np.errstate(invalid="ignore"):  # inf * 0 on zero-length pieces, replaced below
        piece_ab = np.where(np.isfinite(fwd_s), fwd_s * share, np.inf)
        piece_ba = np.where(np.isfinite(bwd_s), bwd_s * share, np.inf)
    # A point exactly at a street node is that node: its zero-length piece is open both ways
    # (even on a one-way street).
    empty = share <= 0
    piece_ab[empty] = 0.0
    piece_ba[empty] = 0.0
    return piece_seg, piece_a, piece_b, piece_t0, piece_t1, piece_ab, piece_ba, whole.size


_street_arcs: "weakref.WeakKeyDictionary[StreetGraph, csr_matrix]" = weakref.WeakKeyDictionary()


def _street_csr(street: StreetGraph, total: int) -> csr_matrix:
    """The street graph's reversed arcs, built once per street graph, padded to ``total``."""
    base = _street_arcs.get(street)
    if base is None:
        fwd = np.isfinite(street.seg_fwd_s)
        bwd = np.isfinite(street.seg_bwd_s)
        u = street.seg_u.astype(np.int64)
        v = street.seg_v.astype(np.int64)
        base = _csr_min(np.concatenate([v[fwd], u[bwd]]), np.concatenate([u[fwd], v[bwd]]),
                        quantize(np.concatenate([street.seg_fwd_s[fwd], street.seg_bwd_s[bwd]])),
                        street.n_nodes)
        _street_arcs[street] = base
    n = base.shape[0]
    if total == n:
        return base
    indptr = np.concatenate([base.indptr, np.full(total - n, base.indptr[-1],
                                                  dtype=base.indptr.dtype)])
    return csr_matrix((base.data, base.indices, indptr), shape=(total, total))


def time_to_nearest(
    graph: TravelGraph, sources: np.ndarray, *, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from every node to its nearest source, and which source that is.

    One multi-source Dijkstra pass. ``sources`` are node indices (door nodes); entries
    < 0 (off-network) are ignored. Returns ``(seconds, source_position)`` per node, with
    ``inf`` / -1 for nodes that reach no source within ``limit``.
    """
    sources = np.asarray(sources, dtype=np.int64)
    valid = np.flatnonzero(sources >= 0)
    n = graph.n_nodes
    if valid.size == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    dist, _, origin = dijkstra(
        graph.csr_to, directed=True, indices=sources[valid], min_only=True,
        return_predecessors=True, limit=limit,
    )
    position = np.full(n + 1, -1, dtype=np.int64)
    position[sources[valid]] = valid
    origin = np.where(origin >= 0, origin, n)
    return dist, position[origin]


def _searches(
    graph: TravelGraph, sources: np.ndarray, limit: float, chunk: int | None = None,
    *, csr: csr_matrix | None = None, coords: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Bounded Dijkstra from each valid source, in chunks: ``(positions, dist, nodes)``.

    On large graphs each chunk of nearby sources searches only the subgraph inside its
    bounding box grown by ``limit`` x the fastest speed of any arc: nothing outside can be
    reached in time, so the answer is exact while the work scales with the area searched,
    not with the whole graph. ``nodes`` lists the subgraph's nodes (``None``: all). ``csr``
    and ``coords`` search another graph of the same geometry (a contracted one) instead.
    """
    sources = np.asarray(sources, dtype=np.int64)
    valid = np.flatnonzero(sources >= 0)
    csr = graph.csr_to if csr is None else csr
    n = csr.shape[0]
    if valid.size == 0:
        return
    local = np.isfinite(limit) and graph.n_nodes >= SUBGRAPH_MIN_NODES
    if not local:
        size = chunk or max(1, CHUNK_BYTES // (8 * max(n, 1)))
        for start in range(0, valid.size, size):
            positions = valid[start:start + size]
            dist = dijkstra(csr, directed=True, indices=sources[positions], limit=limit)
            yield positions, np.atleast_2d(dist), None
        return
    x, y = _all_coords(graph) if coords is None else coords
    reach = limit * _fastest_speed(graph) * (1 + 1e-9) + 1.0
    sx, sy = x[sources[valid]], y[sources[valid]]
    cell = np.floor(np.column_stack([sx, sy]) / reach).astype(np.int64)
    valid = valid[np.lexsort((cell[:, 1], cell[:, 0]))]  # nearby sources share a chunk
    start = 0
    size = chunk or 64
    while start < valid.size:
        positions = valid[start:start + size]
        px, py = x[sources[positions]], y[sources[positions]]
        inside = ((x >= px.min() - reach) & (x <= px.max() + reach)
                  & (y >= py.min() - reach) & (y <= py.max() + reach))
        nodes = np.flatnonzero(inside)
        if not chunk and positions.size > 1 and positions.size * nodes.size * 8 > CHUNK_BYTES:
            size = max(1, size // 2)  # too big for the memory budget: smaller chunks
            continue
        sub = csr[nodes][:, nodes]
        index = np.searchsorted(nodes, sources[positions])
        dist = dijkstra(sub, directed=True, indices=index, limit=limit)
        yield positions, np.atleast_2d(dist), nodes
        start += positions.size


def _door_snaps(
    graph: TravelGraph, doors: np.ndarray, others: np.ndarray, *, first: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Snap nodes of the ``doors`` and the seconds of their access legs.

    A door's only neighbour is its snap node, so every path from a source door starts with
    its leg (``first``) and every path to a target door ends with its leg: searching
    between the snap nodes and adding the legs gives the same times with one node fewer
    per point. Doors that are also in ``others`` stay themselves (leg 0).
    """
    n_street = graph.street.n_nodes
    inserted = (graph.n_nodes - n_street) // 2
    door = (doors >= n_street + inserted) & ~np.isin(doors, others)
    snaps = np.where(door, doors - inserted, doors)
    leg_s = np.zeros(doors.size)
    if door.any():
        ends = (doors[door], snaps[door]) if first else (snaps[door], doors[door])
        leg_s[door] = np.asarray(graph.csr_to[ends]).ravel()
    return snaps, leg_s


def _all_coords(graph: TravelGraph) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of every node; a door node sits at its snap node."""
    n_street = graph.street.n_nodes
    snap_x = graph.node_x[n_street:]
    snap_y = graph.node_y[n_street:]
    return np.concatenate([graph.node_x, snap_x]), np.concatenate([graph.node_y, snap_y])


def _fastest_speed(graph: TravelGraph) -> float:
    """Metres per second of the fastest arc (street pieces and access legs)."""
    street = graph.street
    times = np.minimum(street.seg_fwd_s, street.seg_bwd_s)
    ok = np.isfinite(times) & (times > 0)
    fastest = float(np.max(street.seg_length[ok] / times[ok])) if ok.any() else 0.0
    return max(fastest, street.travel.access_ms)


def iter_times_to(
    graph: TravelGraph, sources: np.ndarray, *, limit: float, chunk: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Bounded single-source Dijkstra for each source, in chunks.

    Yields ``(positions, seconds)`` where ``seconds[i]`` is the row of times *to*
    ``sources[positions[i]]`` for every node (``inf`` beyond ``limit``). Off-network sources
    (< 0) are skipped.
    """
    for positions, dist, nodes in _searches(graph, sources, limit, chunk):
        if nodes is None:
            yield positions, dist
            continue
        full = np.full((positions.size, graph.n_nodes), np.inf)
        full[:, nodes] = dist
        yield positions, full


def times_to_each(
    graph: TravelGraph, sources: np.ndarray, targets: np.ndarray, *, limit: float
) -> csr_matrix:
    """Sparse (sources x targets) matrix of seconds from each target to each source.

    Only pairs within ``limit`` are stored; a stored 0 is a real zero time (a target at the
    source's door), so test membership with the matrix's sparsity pattern, not its values.
    Off-network sources or targets (< 0) get empty rows / columns.
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    if sources.size >= CONTRACT_MIN_SOURCES:
        # Search a graph contracted at the chain nodes (exact, see _contract): in a street
        # network most nodes only continue a street, so Dijkstra settles far fewer nodes.
        # It pays for itself over many searches; for a few the contraction costs more.
        snaps, first_s = _door_snaps(graph, sources, targets, first=True)
        targets, last_s = _door_snaps(graph, targets, sources, first=False)
        sources = snaps
        ends = np.concatenate([sources[sources >= 0], targets[targets >= 0]])
        small = contract(graph.csr_to, ends)
        x, y = _all_coords(graph)
        sources = np.where(sources >= 0, small.index[np.maximum(sources, 0)], -1)
        targets = np.where(targets >= 0, small.index[np.maximum(targets, 0)], -1)
        n_nodes, csr, coords = small.kept.size, small.csr, (x[small.kept], y[small.kept])
    else:
        first_s, last_s = np.zeros(sources.size), np.zeros(targets.size)
        n_nodes, csr, coords = graph.csr_to.shape[0], None, None
    target_ok = np.flatnonzero(targets >= 0)
    rows_list, cols_list, vals_list = [], [], []
    lookup = np.full(n_nodes, -1, dtype=np.int64)
    for positions, dist, nodes in _searches(graph, sources, limit, csr=csr, coords=coords):
        if nodes is None:
            wanted, columns = target_ok, targets[target_ok]
        else:
            lookup[nodes] = np.arange(nodes.size)
            local = lookup[targets[target_ok]]
            lookup[nodes] = -1
            wanted, columns = target_ok[local >= 0], local[local >= 0]
        block = (first_s[positions, None] + dist[:, columns]) + last_s[wanted]
        r, c = np.nonzero(block <= limit)
        rows_list.append(positions[r])
        cols_list.append(wanted[c])
        vals_list.append(block[r, c])
    if rows_list:
        rows = np.concatenate(rows_list)
        cols = np.concatenate(cols_list)
        vals = np.concatenate(vals_list)
    else:
        rows = cols = np.empty(0, dtype=np.int64)
        vals = np.empty(0)
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(sources.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=sources.size), out=indptr[1:])
    return csr_matrix((vals, cols.astype(np.int64), indptr), shape=(sources.size, targets.size))
