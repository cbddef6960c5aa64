import { type ObjectStore } from '../git/index.js';

/**
 * The server half of fetch negotiation (upload-pack.c got_oid / ok_to_give_up): which haves we
 * share with the client, and whether they already cover every want so the client can stop
 * sending haves ("ready"). State lives in one request; over stateless HTTP the client re-sends
 * its wants and common haves each round.
 */
export class Negotiator {
  /** Common haves in the order received. */
  readonly common: string[] = [];
  private readonly commonSet = new Set<string>();
  /** git's THEY_HAVE flag: common commits and their direct parents. */
  private readonly theyHave = new Set<string>();
  private oldestHave = Number.POSITIVE_INFINITY;
  private readonly reached = new Set<string>();
  private lastAnswer: { generation: number; value: boolean } | null = null;
  private generation = 0;

  constructor(private readonly odb: ObjectStore) {}

  get lastCommon(): string | null {
    return this.common.length === 0 ? null : (this.common[this.common.length - 1] as string);
  }

  /** True when we have the object (an "ACK ... common"); unknown haves are simply not ours. */
  async have(oid: string): Promise<boolean> {
    if (this.commonSet.has(oid)) return true;
    if (!(await this.odb.has(oid))) return false;
    this.commonSet.add(oid);
    this.common.push(oid);
    const info = await this.odb.commit(oid);
    if (info !== null) {
      this.theyHave.add(oid);
      for (const p of info.parents) this.theyHave.add(p);
      this.oldestHave = Math.min(this.oldestHave, info.time);
      this.generation++;
    }
    return true;
  }

  /**
   * Every wanted commit reaches a commit the client has, looking no further back than the
   * oldest have (can_all_from_reach_with_flag's date cut-off). Non-commit wants count as
   * reached, as in git. Answers are cached until a new common commit arrives.
   */
  async okToGiveUp(wants: string[]): Promise<boolean> {
    if (this.theyHave.size === 0) return false;
    if (this.lastAnswer !== null && this.lastAnswer.generation === this.generation) return this.lastAnswer.value;
    let value = true;
    for (const want of wants) {
      if (this.reached.has(want)) continue;
      if (await this.reaches(want)) this.reached.add(want);
      else {
        value = false;
        break;
      }
    }
    this.lastAnswer = { generation: this.generation, value };
    return value;
  }

  private async reaches(want: string): Promise<boolean> {
    const start = await this.odb.commit(want);
    if (start === null) return true;
    const seen = new Set<string>([want]);
    const stack = [want];
    while (stack.length > 0) {
      const oid = stack.pop() as string;
      if (this.theyHave.has(oid)) return true;
      const info = await this.odb.commit(oid);
      if (info === null || info.time < this.oldestHave) continue;
      for (const p of info.parents) {
        if (!seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    return false;
  }
}
