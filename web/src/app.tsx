import { useEffect, useState } from 'preact/hooks';
import { isAdmin } from './admin.js';
import { type Token, whenTokenRefused, whoAmI } from './api.js';
import type { SelfCheck } from './auth.js';
import { Failure } from './failure.js';
import { I18nProvider, useI18n } from './i18n/i18n.js';
import { LANGUAGES, LANGUAGE_NAMES, type Lang, type MessageKey, pickLanguage } from './i18n/messages.js';
import { Link } from './link.js';
import { ActivityPage } from './pages/activity-page.js';
import { AdminPage } from './pages/admin-page.js';
import { NewServerPage } from './pages/new-server-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ServerPage } from './pages/server-page.js';
import { ServersPage } from './pages/servers-page.js';
import { matchRoute } from './routes.js';
import { useLocation } from './router.js';
import { storeLang, storeToken, storedLang, storedToken } from './session.js';

const SCOPE_KEYS = {
  read: 'scope.read',
  write: 'scope.write',
  admin: 'scope.admin',
} as const satisfies Record<Token['scope'], MessageKey>;

function initialLang(): Lang {
  const chosen = storedLang();
  return pickLanguage(chosen === null ? navigator.languages : [chosen]);
}

/** Who is signed in: the token's description from GET /api/v1/tokens/self, or null. */
export interface Session {
  self: Token | null;
  /** Changes on every sign-in and sign-out: the pages load again. */
  generation: number;
  /** A stored token is being checked (a reload): not yet signed in, nor out. */
  checking?: boolean;
}

/** Why the console is signed out, or could not check a token: shown beside the sign-in form. */
type Problem = Exclude<SelfCheck, { state: 'accepted' }> | null;

function SignIn({
  session,
  onChange,
  problem,
  setProblem,
}: {
  session: Session;
  onChange: (self: Token | null) => void;
  problem: Problem;
  setProblem: (problem: Problem) => void;
}) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  if (session.self !== null) {
    return (
      <div class="session">
        <span>{t('auth.signedIn', { name: session.self.name, scope: t(SCOPE_KEYS[session.self.scope]) })}</span>
        <button
          type="button"
          onClick={() => {
            storeToken(null);
            onChange(null);
          }}
        >
          {t('auth.signOut')}
        </button>
      </div>
    );
  }
  return (
    <form
      class="session"
      onSubmit={(event) => {
        event.preventDefault();
        const value = token.trim();
        // A stored token that could not be checked is replaced, not sent beside the new one.
        storeToken(null);
        void whoAmI(value).then((check) => {
          if (check.state === 'accepted') {
            storeToken(value);
            setToken('');
            setProblem(null);
            onChange(check.self);
          } else {
            setProblem(check);
          }
        });
      }}
    >
      <label for="token">{t('auth.token')}</label>
      <input
        id="token"
        type="password"
        autocomplete="off"
        required
        value={token}
        onInput={(event) => {
          setToken(event.currentTarget.value);
        }}
      />
      <button type="submit">{t('auth.signIn')}</button>
      {problem?.state === 'refused' && (
        <p role="alert" class="error">
          {t('auth.invalid')}
        </p>
      )}
      {problem?.state === 'failed' && <Failure loaded={problem} />}
    </form>
  );
}

function Shell({ lang, setLang }: { lang: Lang; setLang: (lang: Lang) => void }) {
  const { t } = useI18n();
  const place = useLocation();
  const route = matchRoute(place.pathname);
  const [session, setSession] = useState<Session>(() => ({
    self: null,
    generation: 0,
    checking: storedToken() !== null,
  }));
  const signed = (self: Token | null) => {
    setSession((s) => ({ self, generation: s.generation + 1 }));
  };

  const [problem, setProblem] = useState<Problem>(null);

  useEffect(() => {
    // A token revoked or expired mid-session: signed out, and told why.
    whenTokenRefused(() => {
      storeToken(null);
      setProblem({ state: 'refused' });
      setSession((s) => (s.self === null ? s : { self: null, generation: s.generation + 1 }));
    });
    const token = storedToken();
    if (token !== null) {
      void whoAmI(token).then((check) => {
        if (check.state === 'accepted') {
          // The pages' first requests carried this same token: they stand, and need not load again
          // (a reload could also take away, mid-click, what the person was about to use).
          setSession((s) => ({ ...s, self: check.self, checking: false }));
        } else if (check.state === 'refused') {
          storeToken(null);
          setProblem(check);
          signed(null);
        } else {
          // Unreachable or busy: the token stays, for the next try; the failure is shown.
          setProblem(check);
          setSession((s) => ({ ...s, checking: false }));
        }
      });
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t('app.title');
  }, [lang, t]);

  return (
    <>
      <a class="skip" href="#main">
        {t('app.skip')}
      </a>
      <header class="top">
        <span class="brand">{t('app.title')}</span>
        <nav aria-label={t('nav.main')}>
          <Link href="/servers">{t('nav.servers')}</Link>
          <Link href="/overview">{t('nav.overview')}</Link>
          <Link href="/activity">{t('nav.activity')}</Link>
          {isAdmin(session.self) && <Link href="/admin">{t('nav.admin')}</Link>}
        </nav>
        <label class="lang">
          <span>{t('lang.label')}</span>
          <select
            value={lang}
            onChange={(event) => {
              setLang(event.currentTarget.value as Lang);
            }}
          >
            {LANGUAGES.map((code) => (
              <option key={code} value={code} lang={code}>
                {LANGUAGE_NAMES[code]}
              </option>
            ))}
          </select>
        </label>
        <SignIn session={session} onChange={signed} problem={problem} setProblem={setProblem} />
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'servers' && <ServersPage search={place.search} session={session} />}
        {route.page === 'server' && <ServerPage key={route.id} id={route.id} session={session} />}
        {route.page === 'new-server' && <NewServerPage session={session} />}
        {route.page === 'overview' && <OverviewPage search={place.search} session={session} />}
        {route.page === 'activity' && <ActivityPage session={session} />}
        {route.page === 'admin' && <AdminPage session={session} />}
        {route.page === 'not-found' && <h1>{t('notFound.title')}</h1>}
      </main>
    </>
  );
}

export function App() {
  const [lang, setLang] = useState(initialLang);
  return (
    <I18nProvider lang={lang}>
      <Shell
        lang={lang}
        setLang={(next) => {
          storeLang(next);
          setLang(next);
        }}
      />
    </I18nProvider>
  );
}
