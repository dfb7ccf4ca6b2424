"""The staff side: login, dashboard, responses, exports, paper entry and running the office."""
