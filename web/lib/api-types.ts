/**
 * Shapes of the admin API's answers that several pages read (docs/api.md). Types only: the API
 * stays the authority on what it sends; these say what the console reads of it.
 */

/** An item of GET /projects. */
export interface ProjectView {
  key: string;
  name: string;
}

/** An item of GET /projects/{p}/environments, and GET …/environments/{e}. */
export interface EnvironmentView {
  key: string;
  /** The global id, `project.env`. */
  id: string;
  name: string;
  requireApproval: boolean;
}
