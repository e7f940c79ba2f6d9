/** Where schedules are listed: the environment's schedules page, or the same page filtered to one flag. */
const enc = encodeURIComponent;

export const environmentSchedulesHref = (project: string, environment: string) =>
  `/projects/${enc(project)}/environments/${enc(environment)}/schedules`;

/** A flag's "Schedules" tab: the environment's page filtered to the flag (it shows the flag's tabs). */
export const flagSchedulesHref = (project: string, environment: string, flag: string) =>
  `${environmentSchedulesHref(project, environment)}?flag=${enc(flag)}`;
