/**
 * The console's connection to the API: the SDK's client (src/client, the CLI's too) over this
 * page's own origin, with the session its user logged in to. The token is kept in sessionStorage,
 * so it lasts as long as the browser tab and no longer; the password is never kept.
 */
import { type BlockplaneClient, createClient, type Failure, type Session } from "../client/index.ts";
import { hasPermission, isRole, type Permission, type Role } from "../domain/roles.ts";

const KEY = "blockplane.session";
/** Dispatched on the window when the API refuses the session. */
export const SESSION_ENDED = "blockplane-session-ended";

export interface Me {
  id: number;
  name: string;
  roles: Role[];
}

export interface Signed {
  client: BlockplaneClient;
  me: Me;
  /** Whether the signed-in user's roles grant `permission`. */
  may(permission: Permission): boolean;
}

/**
 * The console's requests carry their Authorization themselves and no cookie or cached browser
 * credential: without credentials, a 401 answering Basic (a wrong password) is handed to the page,
 * where with them the browser would open its own login prompt over it.
 */
const ownFetch = async (request: Request): Promise<Response> => {
  const answer = await fetch(request, { credentials: "omit" });
  // The session expired or was discarded (a new password, a deleted user): the console logs out.
  if (answer.status === 401 && request.headers.get("authorization")?.startsWith("Session ")) {
    sessionStorage.removeItem(KEY);
    dispatchEvent(new Event(SESSION_ENDED));
  }
  return answer;
};

/** A client that sends the session with every request and waits out nothing: errors show as they come. */
function clientWith(session: Session): BlockplaneClient {
  return createClient({ baseUrl: location.origin, session, retries: 0, fetch: ownFetch });
}

async function whoAmI(client: BlockplaneClient): Promise<Signed | Failure> {
  const me = await client.GET("/blockplane/v1/users/me");
  if (!me.ok) return me;
  const roles = me.data.roles.filter(isRole);
  return {
    client,
    me: { id: me.data.id, name: me.data.name, roles },
    may: (permission) => hasPermission(roles, permission),
  };
}

/** The session of this tab, if one was saved and still works. */
export async function resume(): Promise<Signed | undefined> {
  const saved = sessionStorage.getItem(KEY);
  if (!saved) return undefined;
  try {
    const signed = await whoAmI(clientWith(JSON.parse(saved) as Session));
    if ("client" in signed) return signed;
  } catch {
    // An unreadable saved session is no session.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

/** Creates a session with the user's name and password (Basic, once), then forgets the password. */
export async function logIn(user: string, password: string): Promise<Signed | Failure> {
  const login = createClient({ baseUrl: location.origin, user, password, retries: 0, fetch: ownFetch });
  const session = await login.session();
  if (!session.ok) return session;
  sessionStorage.setItem(KEY, JSON.stringify(session.data));
  return whoAmI(clientWith(session.data));
}

/** Discards the session on the server and in the tab. */
export async function logOut(signed: Signed): Promise<void> {
  const session = signed.client.currentSession();
  sessionStorage.removeItem(KEY);
  if (session) {
    await signed.client
      .DELETE("/ConfigurationManager/simple/v1/objects/sessions/{sessionId}", {
        params: { path: { sessionId: session.token } },
      })
      .catch(() => undefined);
  }
}
