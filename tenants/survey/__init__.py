"""The resident side: the office's survey, its versions, departments and the responses."""
