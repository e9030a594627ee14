/** adapters.yml texts shared by the proxy's config and CLI tests. */

/** The example of Powerstrip's README. */
export const POWERSTRIP_README = `version: 1
endpoints:
  "POST /*/containers/create":
    pre: [flocker, weave]
  "POST /*/containers/*/start":
    post: [weave]
adapters:
  weave: http://weave/extension
  flocker: http://flocker/flocker-adapter
`;
