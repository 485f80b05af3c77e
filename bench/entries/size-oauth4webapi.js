// The functions a browser authorization code flow with PKCE and refresh uses.
export {
  discoveryRequest, processDiscoveryResponse, generateRandomCodeVerifier, calculatePKCECodeChallenge,
  generateRandomState, generateRandomNonce, validateAuthResponse, authorizationCodeGrantRequest,
  processAuthorizationCodeResponse, refreshTokenGrantRequest, processRefreshTokenResponse, None,
} from "oauth4webapi";
