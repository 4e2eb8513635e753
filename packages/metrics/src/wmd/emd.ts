/**
 * The earth mover's distance as pyemd 0.5.1 computes it (`pyemd.emd(P, Q, C)`, extra mass penalty −1: Pele and
 * Werman's FastEMD `emd_hat_gd_metric<double>`), which gensim 4.2's `wmdistance` calls. FastEMD works on
 * integers: after moving the mass two histograms share at cost 0 ("pre-flow"), masses are scaled to 1e6 over
 * the larger total and costs to 1e6 over the largest cost, each rounded to the nearest integer; the integer
 * transportation problem is solved exactly, then scaled back. The integer optimum's cost is unique, so any
 * exact min-cost-flow solver gives pyemd's value; here successive shortest paths (Bellman-Ford on the small
 * residual graph) do it. Details: `docs/wmd.md`.
 */

const MULT_FACTOR = 1_000_000;

/**
 * A transportation problem in the form `wmdistance` builds it: `supply[i]` at the candidate's words,
 * `demand[j]` at the reference's words (nBOW weights, each summing to about 1), `cost[i * demand.length + j]`
 * the distance from supply word i to demand word j. `shared[i]` is the demand index of supply word i when the
 * word is in both documents (its mass moves at cost 0 first), else −1.
 */
export interface EmdProblem {
  supply: Float64Array;
  demand: Float64Array;
  cost: Float64Array;
  shared: Int32Array;
  /** Sum of the supply in gensim's dictionary order (FastEMD's `sumP`, over the original masses). */
  supplySum: number;
  /** Sum of the demand in gensim's dictionary order (`sumQ`). */
  demandSum: number;
  /** Largest entry of the full distance matrix (FastEMD's `maxC`; the matrix's other entries are 0). */
  maxCost: number;
}

/** Reusable buffers of {@link pyemdDistance} and of WMD's problems (grown as needed; one per scorer). */
export class EmdScratch {
  supply = new Float64Array(0);
  demand = new Float64Array(0);
  preflowed = new Float64Array(0);
  cost = new Float64Array(0);
  flow = new Float64Array(0);
  dist = new Float64Array(0);
  from = new Int32Array(0);
  /** For the caller's problem: masses, distances, shared-word links. */
  nbow1 = new Float64Array(0);
  nbow2 = new Float64Array(0);
  distance = new Float64Array(0);
  shared = new Int32Array(0);
  newInDoc2 = new Uint8Array(0);

  /** Makes room for m supply and n demand words. */
  ensure(m: number, n: number): void {
    if (this.supply.length < m) {
      this.supply = new Float64Array(m * 2);
      this.nbow1 = new Float64Array(m * 2);
      this.shared = new Int32Array(m * 2);
    }
    if (this.demand.length < n) {
      this.demand = new Float64Array(n * 2);
      this.preflowed = new Float64Array(n * 2);
      this.nbow2 = new Float64Array(n * 2);
      this.newInDoc2 = new Uint8Array(n * 2);
    }
    if (this.cost.length < m * n) {
      this.cost = new Float64Array(m * n * 2);
      this.flow = new Float64Array(m * n * 2);
      this.distance = new Float64Array(m * n * 2);
    }
    if (this.dist.length < m + n) {
      this.dist = new Float64Array((m + n) * 2);
      this.from = new Int32Array((m + n) * 2);
    }
  }
}

/** pyemd's `emd(P, Q, C)` (extra mass penalty −1) on an {@link EmdProblem}. */
export function pyemdDistance(problem: EmdProblem, scratch: EmdScratch): number {
  const m = problem.supply.length;
  const n = problem.demand.length;
  scratch.ensure(m, n);
  const { maxCost, supplySum, demandSum } = problem;
  const maxSum = Math.max(supplySum, demandSum);
  const minSum = Math.min(supplySum, demandSum);
  const massScale = MULT_FACTOR / maxSum;
  const costScale = MULT_FACTOR / maxCost;
  // Pre-flow of the shared words, then the integer masses (floor(x * scale + 0.5), as FastEMD).
  const supply = scratch.supply;
  const demand = scratch.demand;
  const preflowed = scratch.preflowed;
  preflowed.set(problem.demand);
  for (let i = 0; i < m; i++) {
    let p = problem.supply[i] as number;
    const j = problem.shared[i] as number;
    if (j >= 0) {
      const q = preflowed[j] as number;
      const moved = Math.min(p, q);
      p -= moved;
      preflowed[j] = q - moved;
    }
    supply[i] = Math.floor(p * massScale + 0.5);
  }
  for (let j = 0; j < n; j++) demand[j] = Math.floor((preflowed[j] as number) * massScale + 0.5);
  const cost = scratch.cost;
  for (let k = 0; k < m * n; k++) cost[k] = Math.floor((problem.cost[k] as number) * costScale + 0.5);
  const total = integerTransportCost(m, n, scratch);
  return total / massScale / costScale + (maxSum - minSum) * maxCost;
}

/**
 * The least cost of shipping min(Σ supply, Σ demand) units from `scratch.supply` (m integer masses) to
 * `scratch.demand` (n) at `scratch.cost[i * n + j]` per unit, the surplus of the larger side left in place at no
 * cost (FastEMD's threshold node). Successive shortest paths; all values are integers below 2^53.
 */
function integerTransportCost(m: number, n: number, scratch: EmdScratch): number {
  const { supply, demand, cost, flow, dist, from } = scratch;
  flow.fill(0, 0, m * n);
  let toShip = 0;
  let supplyTotal = 0;
  let demandTotal = 0;
  for (let i = 0; i < m; i++) supplyTotal += supply[i] as number;
  for (let j = 0; j < n; j++) demandTotal += demand[j] as number;
  toShip = Math.min(supplyTotal, demandTotal);
  let total = 0;
  // Nodes: supply words 0..m-1, demand words m..m+n-1. Edges i → j (cost c) always, j → i (cost −c) while
  // flow(i, j) > 0. Sources: supply words with mass left (distance 0).
  while (toShip > 0) {
    for (let i = 0; i < m; i++) {
      dist[i] = (supply[i] as number) > 0 ? 0 : Infinity;
      from[i] = -1;
    }
    for (let j = 0; j < n; j++) {
      dist[m + j] = Infinity;
      from[m + j] = -1;
    }
    // Bellman-Ford: at most m + n rounds; the residual graph has no negative cycle (the flow is optimal
    // for its value after each augmentation).
    for (let round = 0; round < m + n; round++) {
      let changed = false;
      for (let i = 0; i < m; i++) {
        const di = dist[i] as number;
        if (di === Infinity) continue;
        const row = i * n;
        for (let j = 0; j < n; j++) {
          const d = di + (cost[row + j] as number);
          if (d < (dist[m + j] as number)) {
            dist[m + j] = d;
            from[m + j] = i;
            changed = true;
          }
        }
      }
      for (let j = 0; j < n; j++) {
        const dj = dist[m + j] as number;
        if (dj === Infinity) continue;
        for (let i = 0; i < m; i++) {
          if ((flow[i * n + j] as number) <= 0) continue;
          const d = dj - (cost[i * n + j] as number);
          if (d < (dist[i] as number)) {
            dist[i] = d;
            from[i] = m + j;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    // The nearest demand word with demand left.
    let sink = -1;
    for (let j = 0; j < n; j++) {
      if ((demand[j] as number) > 0 && (sink < 0 || (dist[m + j] as number) < (dist[m + sink] as number))) sink = j;
    }
    if (sink < 0 || dist[m + sink] === Infinity) throw new Error('internal error: EMD found no augmenting path');
    // Bottleneck along the path back to its source.
    let amount = Math.min(toShip, demand[sink] as number);
    let node = m + sink;
    while (from[node] !== -1) {
      const prev = from[node] as number;
      if (node < m) amount = Math.min(amount, flow[node * n + (prev - m)] as number); // backward edge prev → node
      node = prev;
    }
    amount = Math.min(amount, supply[node] as number);
    // Augment.
    node = m + sink;
    while (from[node] !== -1) {
      const prev = from[node] as number;
      if (node >= m) {
        flow[prev * n + (node - m)] = (flow[prev * n + (node - m)] as number) + amount;
        total += amount * (cost[prev * n + (node - m)] as number);
      } else {
        flow[node * n + (prev - m)] = (flow[node * n + (prev - m)] as number) - amount;
        total -= amount * (cost[node * n + (prev - m)] as number);
      }
      node = prev;
    }
    supply[node] = (supply[node] as number) - amount;
    demand[sink] = (demand[sink] as number) - amount;
    toShip -= amount;
  }
  return total;
}
