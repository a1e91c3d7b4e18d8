/**
 * The comparison app of `npm run bench:http`: a plain Express app on `@node-saml/passport-saml`, written as
 * its README and a typical integration write it (express-session with its default MemoryStore, passport's
 * session, one SAML strategy). Validation is passport-saml's own, as strict as it lets us be for the same
 * IdP: the IdP's certificate, assertions must be signed, the audience and the IdP's issuer checked, and
 * InResponseTo validated against the requests it issued ('always').
 *
 * Environment: PORT, BASE_URL, IDP_CERT_PEM, IDP_ENTITY_ID, IDP_SSO_URL, SP_ENTITY_ID. Prints
 * "listening on" once it accepts connections.
 */
import { createServer } from 'node:http';
import {
  type Profile,
  Strategy,
  ValidateInResponseTo,
  type VerifiedCallback,
} from '@node-saml/passport-saml';
import express from 'express';
import session from 'express-session';
import passport from 'passport';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const port = Number(env('PORT'));
const baseUrl = env('BASE_URL');

// passport-saml ships its own copy of @types/express, which passport's types do not accept as theirs.
const strategy = new Strategy(
  {
    callbackUrl: `${baseUrl}/acs`,
    entryPoint: env('IDP_SSO_URL'),
    issuer: env('SP_ENTITY_ID'),
    audience: env('SP_ENTITY_ID'),
    idpIssuer: env('IDP_ENTITY_ID'),
    idpCert: env('IDP_CERT_PEM'),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 60_000,
  },
  (profile: Profile | null, done: VerifiedCallback) => done(null, profileUser(profile)),
  (profile: Profile | null, done: VerifiedCallback) => done(null, profileUser(profile)),
);
passport.use(strategy as unknown as passport.Strategy);
// The whole user lives in the session (no database): the cheapest thing a passport app can do.
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user: Express.User, done) => done(null, user));

const app = express();
app.disable('x-powered-by');
app.use(
  session({
    secret: 'bench-session-secret-0123456789abcdef',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
);
app.use(passport.initialize());
app.use(passport.session());

app.get('/login', passport.authenticate('saml', { session: true }));
app.post('/acs', express.urlencoded({ extended: false, limit: '512kb' }), (req, res, next) => {
  passport.authenticate('saml', (err: unknown, user: Express.User | false) => {
    if (err || !user) {
      res.status(401).json({ error: String(err ?? 'no user') });
      return;
    }
    req.login(user, (loginError) => {
      if (loginError) {
        next(loginError);
        return;
      }
      res.redirect(303, '/home');
    });
  })(req, res, next);
});
app.get('/me', (req, res) => {
  if (!req.user) {
    res.status(401).json({ error: 'not signed in' });
    return;
  }
  res.json(req.user);
});

function profileUser(profile: Profile | null): Record<string, unknown> {
  if (!profile) throw new Error('no profile');
  return {
    nameId: profile.nameID,
    nameIdFormat: profile.nameIDFormat,
    sessionIndex: profile.sessionIndex,
    email: profile.email,
    attributes: profile.attributes,
  };
}

createServer(app).listen(port, '127.0.0.1', () => console.log(`passport-saml app listening on ${baseUrl}`));
