import { igluResponse } from '../../../../src/server/iglu';

/** Iglu static repository of the project's own schemas (`src/server/iglu.ts`). */
export async function GET(_request: Request, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await context.params;
  return igluResponse(path);
}
