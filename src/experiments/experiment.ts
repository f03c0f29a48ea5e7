/**
 * What an experiment is, as read from its tag: the shape `cairn tags` lists
 * (list.ts) and the summaries file keeps (summaries.ts).
 */
import type { ExperimentTag } from '../versions/version.js';
import type { ParsedTagMessage, Trailer } from './message.js';

/** One experiment tag and what its message's Cairn-* trailers record; a lightweight tag has empty metrics and params. */
export interface Experiment extends Pick<
  ParsedTagMessage,
  'subject' | 'run' | 'metrics' | 'params' | 'data' | 'results' | 'command' | 'workdir' | 'exit' | 'duration' | 'dirty'
> {
  tag: string;
  /** `semver` for `<prefix>X.Y.Z`, `worktree` for `exp-<name>-v<N>`. */
  kind: ExperimentTag['kind'];
  commit: string;
  /** False for a lightweight tag, which has no message of its own. */
  annotated: boolean;
  /** Tagger date (committer date for a lightweight tag), ISO 8601. */
  date: string;
  /** Trailers of the tag message other than Cairn-* ones (e.g. Signed-off-by); omitted when none. */
  otherTrailers?: Trailer[];
}
