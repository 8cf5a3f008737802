/**
 * Creates or updates one pull-request comment, found again by a hidden marker, so each push updates
 * the plan in place instead of adding a comment per run. Talks to the REST API with the job's token
 * (`pull-requests: write`), no third-party action.
 */
export interface CommentTarget {
  /** e.g. https://api.github.com (GITHUB_API_URL). */
  readonly apiUrl: string;
  /** owner/name (GITHUB_REPOSITORY). */
  readonly repository: string;
  readonly issueNumber: number;
  readonly token: string;
}

export interface CommentResult {
  readonly action: 'created' | 'updated';
  readonly id: number;
  readonly url: string;
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
  readonly html_url: string;
}

const MAX_BODY = 65_536;

export async function upsertComment(
  target: CommentTarget,
  marker: string,
  body: string,
  fetchImpl: typeof fetch = fetch,
): Promise<CommentResult> {
  if (!body.includes(marker)) throw new Error('the comment body must contain its marker');
  if (!/^[\w.-]+\/[\w.-]+$/.test(target.repository)) throw new Error(`bad repository: ${target.repository}`);
  if (!Number.isInteger(target.issueNumber) || target.issueNumber < 1)
    throw new Error(`bad pull request number: ${target.issueNumber}`);
  const text =
    body.length > MAX_BODY ? `${body.slice(0, MAX_BODY - 200)}\n\n…truncated; see the job summary.\n` : body;
  const base = `${target.apiUrl.replace(/\/$/, '')}/repos/${target.repository}`;
  const request = async <T>(method: string, url: string, payload?: unknown): Promise<T> => {
    const response = await fetchImpl(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${target.token}`,
        'x-github-api-version': '2022-11-28',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    if (!response.ok) {
      const detail = await response.text().catch(() => '');
      throw new Error(
        `GitHub API ${method} ${new URL(url).pathname} failed: ${response.status} ${detail.slice(0, 300)}`,
      );
    }
    return (await response.json()) as T;
  };

  let existing: IssueComment | undefined;
  for (let page = 1; page <= 20 && !existing; page++) {
    const comments = await request<IssueComment[]>(
      'GET',
      `${base}/issues/${target.issueNumber}/comments?per_page=100&page=${page}`,
    );
    existing = comments.find((c) => c.body?.includes(marker));
    if (comments.length < 100) break;
  }
  if (existing) {
    const updated = await request<IssueComment>('PATCH', `${base}/issues/comments/${existing.id}`, {
      body: text,
    });
    return { action: 'updated', id: updated.id, url: updated.html_url };
  }
  const created = await request<IssueComment>('POST', `${base}/issues/${target.issueNumber}/comments`, {
    body: text,
  });
  return { action: 'created', id: created.id, url: created.html_url };
}
