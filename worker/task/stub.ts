import type { Bindings } from "../env";

/** The object that runs task `id` (one per task, named by the task's id). */
export const taskStub = (env: Pick<Bindings, "TASK_RUNNER">, id: string) => env.TASK_RUNNER.get(env.TASK_RUNNER.idFromName(id));
