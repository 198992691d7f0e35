"""The shared UI pieces every page uses: translator, role guard, sign-in state, tablet widgets."""
