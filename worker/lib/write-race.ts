import { backoffDelayMs } from "../task/retry";
import { delay } from "./time";

/** Between the tries of a conditional write that lost a race: long enough, and different enough, that its racers do not meet again. */
const BETWEEN_TRIES = { max_attempts: 1, backoff: { initial_ms: 5, max_ms: 80 } };

/** Waits a full-jitter backoff after losing try `attempt` (1, 2, …): racers that read together write apart next time. */
const afterLostRace = (attempt: number): Promise<void> => delay(backoffDelayMs(attempt, BETWEEN_TRIES, Math.random));

/**
 * Runs `tryOnce` (a read, a check and a conditional write: null when another write landed between them) until it
 * writes, a short pause after each loss; after `tries` losses, throws `lost()`.
 */
export async function untilWritten<T>(tries: number, tryOnce: () => Promise<T | null>, lost: () => Error): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const written = await tryOnce();
    if (written) return written;
    if (attempt >= tries) throw lost();
    await afterLostRace(attempt);
  }
}
