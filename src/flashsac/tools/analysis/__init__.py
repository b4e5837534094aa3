"""Analysis of finished runs: read run directories and the paper's curves, align seeds, IQM + bootstrap CIs.

Pure functions over files and arrays (no Hydra, no torch); ``flashsac plot`` is their command line.
"""
