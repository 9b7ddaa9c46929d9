/**
 * Job statuses (zendesk-api.md §3.1): show one, show many (`?ids=a,b`), and list recent jobs
 * (cursor pagination, newest first). Every poll costs a request of the account budget.
 */
import type { FastifyInstance } from 'fastify';
import { tooManyValues } from '../error-bodies.js';
import type { SimulatedJob } from '../job-queue.js';
import type { Params, QueryParams, SimulatorContext } from '../simulator-context.js';
import { sendNotFound, textList } from '../simulator-context.js';

export function registerJobStatusRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { jobs, state } = context;
  const render = (job: SimulatedJob) => jobs.json(job, state.baseUrl);

  app.get<{ Querystring: QueryParams }>('/api/v2/job_statuses', async (request) => {
    const size = Math.min(100, Math.max(1, Number(request.query['page[size]'] ?? 100) || 100));
    const all = jobs.list();
    const afterId = request.query['page[after]'];
    const start = afterId === undefined ? 0 : all.findIndex((job) => job.id === afterId) + 1;
    const page = all.slice(start, start + size);
    const hasMore = start + size < all.length;
    const last = page.at(-1);
    return {
      job_statuses: page.map(render),
      meta: { has_more: hasMore, after_cursor: last?.id ?? null, before_cursor: page[0]?.id ?? null },
      links: {
        next:
          hasMore && last !== undefined
            ? `${state.baseUrl}/api/v2/job_statuses.json?page%5Bsize%5D=${size}&page%5Bafter%5D=${last.id}`
            : null,
        prev: null,
      },
    };
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/job_statuses/show_many', async (request, reply) => {
    const ids = textList(request.query.ids);
    if (ids === 'too-many') return reply.code(400).send(tooManyValues('ids'));
    const found = (ids ?? []).map((id) => jobs.get(id)).filter((job): job is SimulatedJob => job !== undefined);
    return { job_statuses: found.map(render) };
  });

  app.get<{ Params: Params }>('/api/v2/job_statuses/:id', async (request, reply) => {
    const job = jobs.get(request.params.id ?? '');
    return job === undefined ? sendNotFound(reply) : { job_status: render(job) };
  });
}
